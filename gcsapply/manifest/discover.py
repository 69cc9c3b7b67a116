"""Find and classify every YAML file under a stack directory (DESIGN §2, Discovery).

Every ``*.yaml``/``*.yml`` file under DIR (recursively; hidden files and folders, which
include ``.gcsapply/``, are skipped) is either a *template* — named by some Workflow's
``spec.template``, or holding a document with ``version: genecontainer_0_1`` at the top — or
a file of *manifests*. Nothing is skipped silently: a document that is neither a template nor a
manifest is the error ``not-a-manifest``. Files are visited in sorted order so output is stable.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.diagnostics import ERROR, WARNING, Diagnostic
from gcsapply.manifest.model import KIND_WORKFLOW
from gcsapply.yamlio import YamlDocument, load_yaml_file

API_VERSION = "gcsapply/v1"
TEMPLATE_VERSION = "genecontainer_0_1"
YAML_SUFFIXES = (".yaml", ".yml")
_VERSION_LINE = re.compile(rb"^version[ \t]*:[ \t]*([\"']?)genecontainer_0_1\1[ \t]*(#.*)?\r?$", re.M)


@dataclass
class TemplateRef:
    """A Workflow's ``spec.template``, resolved against the directory of its manifest."""

    path: Path  # absolute, normalised (symlinks not resolved)
    shown: str  # as reached from DIR
    document: YamlDocument  # the Workflow manifest that names it


@dataclass
class Inventory:
    """The classified tree: manifest documents, template files and discovery diagnostics."""

    root: Path
    manifests: list[YamlDocument] = field(default_factory=list)
    templates: dict[str, Path] = field(default_factory=dict)  # shown path -> absolute path
    referenced: set[str] = field(default_factory=set)  # shown paths some Workflow names
    diagnostics: list[Diagnostic] = field(default_factory=list)


def discover_files(root: Path) -> list[Path]:
    """Every YAML file under ``root`` as a path relative to it, sorted; hidden entries skipped."""
    found = []
    seen_dirs = set()
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(YAML_SUFFIXES):
                continue
            found.append(Path(directory, name).relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def path_problem(path: Path, *, directory: bool = False) -> str | None:
    """Why ``path`` is no readable regular file (or directory): ``does not exist``, ``is not a
    file``, ``cannot be read (...)``; None when it is fine. Never raises (over-long names, NUL
    bytes and symlink loops included) and never opens it (a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # an embedded NUL byte
        return "does not exist"
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "does not exist"
        return f"cannot be read ({exc.strerror})"
    if directory:
        return None if stat.S_ISDIR(mode) else "is not a directory"
    return None if stat.S_ISREG(mode) else "is not a file"


def shown_path(root: Path, path: Path) -> str:
    """``path`` as reached from ``root`` (``../x`` when outside it), with forward slashes."""
    return Path(os.path.relpath(path, root)).as_posix()


def resolve_relative(document_file: str, root: Path, value: str) -> Path:
    """A path written in ``document_file`` (shown path), resolved against that file's folder."""
    base = root / Path(document_file).parent
    return Path(os.path.normpath(base / value))


def discover(root: Path) -> Inventory:
    """Parse every YAML file under ``root`` and sort its documents into manifests and templates."""
    inventory = Inventory(root=root)
    parsed: dict[str, list[YamlDocument]] = {}
    parse_diagnostics: dict[str, list[Diagnostic]] = {}
    for relative in discover_files(root):
        shown = relative.as_posix()
        if path_problem(root / relative) == "is not a file":  # a FIFO or device: reading would block
            inventory.diagnostics.append(Diagnostic(
                ERROR, "not-a-regular-file", f"'{shown}' is not a regular file", shown,
                hint="remove it or rename it so it does not end in .yaml/.yml"))
            continue
        if _has_template_version_line(root / relative):
            inventory.templates[shown] = root / relative  # load_template parses it
            continue
        parsed[shown], parse_diagnostics[shown] = load_yaml_file(root / relative, shown)

    references = _template_references(root, parsed)
    for shown in sorted(set(inventory.templates) - set(references)):
        inventory.diagnostics.append(Diagnostic(
            WARNING, "unreferenced-template", f"template '{shown}' is not named by any Workflow's spec.template",
            shown, *_version_line(root / shown), "version",
            "reference it from a Workflow, or delete it"))
    for shown, refs in sorted(references.items()):
        documents = parsed.get(shown)
        if documents is not None and _looks_like_manifests(documents):
            for ref in refs:
                inventory.diagnostics.append(ref.document.diagnostic(
                    ("spec", "template"), "template-is-manifest",
                    f"spec.template names '{shown}', which holds gcsapply manifests",
                    hint="point it at a genecontainer_0_1 template file"))
            continue
        inventory.referenced.add(shown)
        inventory.templates[shown] = refs[0].path

    for shown, documents in parsed.items():
        if shown in inventory.templates:
            continue
        if _is_template_text(documents):
            inventory.templates[shown] = root / shown
            version = next(d for d in documents if _is_template_document(d))
            inventory.diagnostics.append(version.diagnostic(
                ("version",), "unreferenced-template",
                f"template '{shown}' is not named by any Workflow's spec.template",
                hint="reference it from a Workflow, or delete it", severity=WARNING, at_key=True))
            continue
        inventory.diagnostics.extend(parse_diagnostics[shown])  # templates report their own
        if not documents and not parse_diagnostics[shown]:
            inventory.diagnostics.append(Diagnostic(
                WARNING, "empty-file", "file holds no YAML document", shown,
                hint="add manifests to it, or delete it"))
        for document in documents:
            problem = _manifest_problem(document)
            if problem:
                inventory.diagnostics.append(problem)
            else:
                inventory.manifests.append(document)
    return inventory


def template_refs_of(document: YamlDocument, root: Path) -> TemplateRef | None:
    """The template a Workflow-looking document names, or None."""
    data = document.data
    if not isinstance(data, dict) or data.get("kind") != KIND_WORKFLOW:
        return None
    spec = data.get("spec")
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, str) or not template.strip():
        return None
    path = resolve_relative(document.file, root, template)
    return TemplateRef(path, shown_path(root, path), document)


def _template_references(root: Path, parsed: dict) -> dict[str, list[TemplateRef]]:
    references: dict[str, list[TemplateRef]] = {}
    for documents in parsed.values():
        if _is_template_text(documents):
            continue
        for document in documents:
            ref = template_refs_of(document, root)
            if ref is not None:
                references.setdefault(ref.shown, []).append(ref)
    return references


def _has_template_version_line(path: Path) -> bool:
    """A cheap look for a top-level ``version: genecontainer_0_1`` line, so template files are
    parsed once (by load_template) instead of twice."""
    return _version_line(path)[0] is not None


def _version_line(path: Path) -> tuple[int | None, int | None]:
    try:
        raw = path.read_bytes()
    except OSError:
        return None, None
    match = _VERSION_LINE.search(raw)
    if not match:
        return None, None
    return raw[: match.start()].count(b"\n") + 1, 1


def _is_template_document(document: YamlDocument) -> bool:
    data = document.data
    return isinstance(data, dict) and data.get("version") == TEMPLATE_VERSION


def _is_template_text(documents: list[YamlDocument]) -> bool:
    return any(_is_template_document(d) for d in documents)


def _looks_like_manifests(documents: list[YamlDocument]) -> bool:
    return any(isinstance(d.data, dict) and "apiVersion" in d.data and "version" not in d.data
               for d in documents)


def _manifest_problem(document: YamlDocument) -> Diagnostic | None:
    data = document.data
    if isinstance(data, dict) and ("apiVersion" in data or "kind" in data):
        return None  # a manifest, possibly a broken one: the schema reports the details
    hint = ("every document must be a manifest (apiVersion: gcsapply/v1, kind, metadata.name, "
            "spec) or a genecontainer_0_1 template named by a Workflow's spec.template")
    if isinstance(data, dict) and "version" in data and "workflow" in data:
        hint = f"templates have 'version: {TEMPLATE_VERSION}' (got {data.get('version')!r})"
    return Diagnostic(ERROR, "not-a-manifest", "this document is not a gcsapply manifest",
                      document.file, *document.where(()), None, hint)
