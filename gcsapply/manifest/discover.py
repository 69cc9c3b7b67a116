"""Find and classify every YAML file under a stack directory (DESIGN §2, Discovery).

Every ``*.yaml``/``*.yml`` file under DIR (recursively; hidden files and folders, which
include ``.gcsapply/``, are skipped) is either a *template* — named by some Workflow's
``spec.template``, or holding a document with ``version: genecontainer_0_1`` at the top — or
a file of *manifests*. Nothing is skipped silently: a document that is neither a template nor a
manifest is the error ``not-a-manifest``. Files are visited in sorted order so output is stable.

Discovery stays inside the stack (DESIGN §7b, :mod:`gcsapply.manifest.paths`): a symbolic link
to a file or folder outside DIR (``path-outside-stack``) or to a hidden one inside it
(``hidden-path``) is reported and never read or walked, as is a ``spec.template`` that leads
there; links that stay inside are followed.

Each file is read once, through the inventory's :class:`~gcsapply.manifest.reads.FilesRead`
(which keeps the digest of the bytes read, for saved plans); a template found here keeps its
bytes in ``Inventory.raw``, and the loader parses those, never a second read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.diagnostics import ERROR, WARNING, Diagnostic, quote
from gcsapply.manifest.model import KIND_WORKFLOW
from gcsapply.manifest.paths import (
    HIDDEN,
    HIDDEN_HINT,
    NOT_REGULAR,
    OUTSIDE_HINT,
    PATH_LIMIT,
    link_problem,
    name_path,
    path_problem,
    resolve_relative,
    shown_path,
    stack_root,
)
from gcsapply.manifest.reads import FilesRead
from gcsapply.yamlio import YamlDocument, load_yaml_bytes

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
    written: str = ""  # as written in spec.template


@dataclass
class Inventory:
    """The classified tree: manifest documents, template files and discovery diagnostics."""

    root: Path
    manifests: list[YamlDocument] = field(default_factory=list)
    templates: dict[str, Path] = field(default_factory=dict)  # shown path -> absolute path
    raw: dict[str, bytes] = field(default_factory=dict)  # shown path -> bytes of a template read here
    referenced: set[str] = field(default_factory=set)  # shown paths some Workflow names
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: FilesRead = field(default_factory=FilesRead)  # every file read, with its digest


def discover_files(root: Path) -> list[Path]:
    """Every YAML file under ``root`` as a path relative to it, sorted; hidden entries skipped."""
    return walk_yaml_files(root)[0]


def walk_yaml_files(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """``discover_files``, and a diagnostic for each symbolic link it does not follow because it
    leads out of ``root`` or into a hidden file or folder."""
    found, problems = [], []
    seen_dirs = set()
    root_real = stack_root(root)
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        kept = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            refused = link_problem(Path(directory, name), root_real)
            if refused:
                problems.append(_link_refused(root, Path(directory, name), "folder", *refused))
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(YAML_SUFFIXES):
                continue
            refused = link_problem(Path(directory, name), root_real)
            if refused:
                problems.append(_link_refused(root, Path(directory, name), "file", *refused))
                continue
            found.append(Path(directory, name).relative_to(root))
    return sorted(found, key=lambda p: p.as_posix()), problems


def discover(root: Path) -> Inventory:
    """Parse every YAML file under ``root`` and sort its documents into manifests and templates."""
    inventory = Inventory(root=root)
    parsed: dict[str, list[YamlDocument]] = {}
    parse_diagnostics: dict[str, list[Diagnostic]] = {}
    raws: dict[str, bytes] = {}
    files, inventory.diagnostics = walk_yaml_files(root)
    for relative in files:
        shown = relative.as_posix()
        if path_problem(root / relative) == NOT_REGULAR:  # a FIFO or device: reading would block
            inventory.diagnostics.append(Diagnostic(
                ERROR, "not-a-regular-file", f"'{shown}' is not a regular file", shown,
                hint="remove it or rename it so it does not end in .yaml/.yml"))
            continue
        try:  # each file is read once: the loader parses the very bytes whose digest is kept
            raw = inventory.files.read(root / relative, shown)
        except OSError as exc:
            parsed[shown], parse_diagnostics[shown] = [], [Diagnostic(
                ERROR, "unreadable-file", f"cannot read file: {exc.strerror}", shown,
                hint="check the file's permissions, or where its symbolic link points")]
            continue
        if _VERSION_LINE.search(raw):  # a template: the loader parses it once, not twice
            inventory.templates[shown] = root / relative
            inventory.raw[shown] = raw
            continue
        raws[shown] = raw
        parsed[shown], parse_diagnostics[shown] = load_yaml_bytes(raw, shown)

    references = _template_references(root, parsed)
    for shown in list(references):
        kept = [ref for ref in references[shown] if not _refused(ref, inventory)]
        if kept:
            references[shown] = kept
        else:
            del references[shown]
    for shown in sorted(set(inventory.templates) - set(references)):
        inventory.diagnostics.append(Diagnostic(
            WARNING, "unreferenced-template", f"template '{shown}' is not named by any Workflow's spec.template",
            shown, *_version_line(inventory.raw[shown]), "version",
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
        if shown in raws:
            inventory.raw[shown] = raws[shown]

    for shown, documents in parsed.items():
        if shown in inventory.templates:
            continue
        if _is_template_text(documents):
            inventory.templates[shown] = root / shown
            inventory.raw[shown] = raws[shown]
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
    return TemplateRef(path, shown_path(root, path), document, template)


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


def _version_line(raw: bytes) -> tuple[int | None, int | None]:
    """Where the top-level ``version: genecontainer_0_1`` line is (a cheap look, so template
    files are parsed once, by the loader, instead of twice)."""
    match = _VERSION_LINE.search(raw)
    if not match:
        return None, None
    return raw[: match.start()].count(b"\n") + 1, 1


def _link_refused(root: Path, path: Path, what: str, code: str, problem: str) -> Diagnostic:
    shown = shown_path(root, path)
    return Diagnostic(ERROR, code, f"{what} {quote(shown, PATH_LIMIT)} {problem}; it is not read", shown,
                      hint=HIDDEN_HINT if code == HIDDEN else OUTSIDE_HINT)


def _refused(ref: TemplateRef, inventory: Inventory) -> bool:
    """Report a ``spec.template`` that leads outside the stack or into a hidden file; True when
    it does."""
    named = name_path(inventory.root, ref.document.file, ref.written)
    if not named.refused:
        return False
    inventory.diagnostics.append(ref.document.diagnostic(
        ("spec", "template"), named.code, named.message("template"), hint=named.hint))
    return True


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
