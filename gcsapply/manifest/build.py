"""``load_stack``: from a directory of YAML files to the validated desired stack.

Steps, collecting every problem before failing (Terraform-style diagnostics):

1. discovery sorts files into manifests and templates (:mod:`gcsapply.manifest.discover`);
2. each manifest is checked against the JSON Schema of its kind;
3. names and addresses: at most one Stack, no address declared twice;
4. Workflows load their templates (``Template.validate(strict=True)``, reported in the
   template's own file);
5. Executions and ExecutionSets get the Stack's ``defaults.execution`` merged under them, their
   workflow and inputs checked against the template, and sets expanded over their sample sheet.

A tree without a Stack manifest gets default settings and the stack name s(directory name)
(``k<sha256(name)[:10]>`` when that is empty, starts with a digit or exceeds 63 characters),
with the warning ``stack-name-from-directory``: two directories of one name would share runs.

Every path a manifest names (``spec.template``, ``spec.samples``, ``spec.state.path``) must stay
inside the stack directory after symbolic links (:mod:`gcsapply.manifest.paths`, DESIGN §7b).

Every file is read once, through :class:`~gcsapply.manifest.reads.FilesRead`:
``LoadedStack.files`` lists each manifest, template and sample sheet read with the digest of
the bytes read (a saved plan records them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.diagnostics import ERROR, WARNING, Diagnostic, excerpt, quote, sort_diagnostics
from gcsapply.errors import InputError
from gcsapply.kinds import KINDS
from gcsapply.manifest.discover import Inventory, discover
from gcsapply.manifest.model import (
    DEFAULT_STATE_PATH,
    KIND_EXECUTION,
    KIND_EXECUTIONSET,
    KIND_STACK,
    KIND_WORKFLOW,
    WORK_FOLDER,
    DesiredStack,
    Source,
)
from gcsapply.manifest.names import derived_stack_name
from gcsapply.manifest.paths import PATH_LIMIT, name_path, path_problem, resolve_relative, shown_path
from gcsapply.manifest.runs import RunBuilder
from gcsapply.manifest.schema import SchemaResult, check_document, describe_value, did_you_mean
from gcsapply.manifest.specs import MIN_LOCK_LEASE_SECONDS, build_stack_spec, build_workflow_spec, parse_lease
from gcsapply.template import load_template, parse_template
from gcsapply.yamlio import YamlDocument


@dataclass
class LoadedStack:
    """The desired stack, the template of each workflow address, and the warnings."""

    desired: DesiredStack
    templates: dict  # "workflow/<name>" -> Template
    diagnostics: list[Diagnostic] = field(default_factory=list)  # warnings only (errors raise)
    empty: bool = False  # the tree holds no manifest (only loaded with allow_empty)
    # every manifest, template and sample sheet read (as reached from DIR, forward slashes)
    # -> "sha256:<hex>" of the bytes read: what a saved plan lists (saved.files)
    files: dict[str, str] = field(default_factory=dict)


def no_manifests(root: Path, hint: str = "manifests are YAML files with 'apiVersion: gcsapply/v1'; "
                 "an empty tree only makes sense for 'gcsapply destroy'") -> InputError:
    """The refusal of a tree with no manifest: ``root`` as given to the command, and where that
    is when it is relative (``gcsapply status`` in the wrong folder says which folder)."""
    shown = str(root) if os.path.isabs(root) else f"{root} ({os.path.abspath(root)})"
    return InputError("1 error in manifests", diagnostics=[Diagnostic(
        ERROR, "no-manifests", f"no manifests found under {shown}", None, None, None, None, hint)])


def load_stack(root: Path, *, allow_empty: bool = False) -> LoadedStack:
    """Load and check every manifest and template under ``root``.

    Raises InputError (with every diagnostic, warnings included) when any error exists, or when
    the tree holds no manifest and ``allow_empty`` is false (with it, ``empty`` says so: the
    caller decides whether the state makes the tree a stack).
    """
    root = Path(root)
    problem = path_problem(root, directory=True)
    if problem:
        raise InputError(f"{root} {problem}", diagnostics=[Diagnostic(
            ERROR, "no-such-directory", f"stack directory {problem}", str(root), None, None, None,
            "give the directory that holds the stack's manifests")])
    loader = _Loader(root, discover(root))
    loaded = loader.load()
    diagnostics = sort_diagnostics(loader.diagnostics)
    empty = not loader.inventory.manifests
    if empty and not allow_empty and not any(d.is_error for d in diagnostics):
        diagnostics += no_manifests(root).diagnostics
    errors = sum(d.is_error for d in diagnostics)
    if errors:
        raise InputError(f"{errors} error{'s' if errors != 1 else ''} in manifests", diagnostics=diagnostics)
    loaded.diagnostics = diagnostics
    loaded.empty = empty
    return loaded


class _Loader:
    def __init__(self, root: Path, inventory: Inventory):
        self.root = root
        self.inventory = inventory
        self.diagnostics: list[Diagnostic] = list(inventory.diagnostics)
        self.by_kind: dict[str, list[tuple[YamlDocument, SchemaResult]]] = {kind: [] for kind in KINDS}
        self.addresses: dict[str, YamlDocument] = {}
        self.templates_by_file: dict[str, object] = {}

    def load(self) -> LoadedStack:
        for document in self.inventory.manifests:
            self._check_manifest(document)
        self._load_templates()
        stack, defaults, defaults_document = self._stack()
        workflows, templates = self._workflows()
        runs = RunBuilder(self.root, defaults, defaults_document, self._workflow_templates(),
                          self.addresses, files=self.inventory.files)
        for document, result in self.by_kind[KIND_EXECUTION]:
            runs.add_execution(document, result)
        for document, result in self.by_kind[KIND_EXECUTIONSET]:
            runs.add_set(document, result)
        self.diagnostics.extend(runs.diagnostics)
        desired = DesiredStack(stack, workflows, dict(sorted(runs.executions.items())),
                               dict(sorted(runs.sets.items())))
        return LoadedStack(desired, templates, files=self.inventory.files.digests())

    # -- every manifest: kind, schema, address ---------------------------------------------------

    def _check_manifest(self, document: YamlDocument) -> None:
        data = document.data
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            self.diagnostics.append(_kind_problem(document, kind))
            return
        result = check_document(document, KINDS[kind].SCHEMA)
        self.diagnostics.extend(result.diagnostics)
        self.by_kind[kind].append((document, result))
        name = _name_of(document)
        if name is None:
            return
        address = "stack" if kind == KIND_STACK else KINDS[kind].address(name)
        first = self.addresses.get(address)
        if first is None:
            self.addresses[address] = document
            return
        where = f"{first.file}:{first.where(('metadata', 'name'))[0]}"
        message = (f"more than one Stack (the first is in {where})" if kind == KIND_STACK
                   else f"{excerpt(address, 80)} is declared twice (first in {where})")
        hint = "a tree holds at most one Stack" if kind == KIND_STACK else "rename or remove one of them"
        self.diagnostics.append(document.diagnostic(("metadata", "name"), "duplicate-address", message,
                                                    hint=hint))

    # -- Stack ----------------------------------------------------------------------------------

    def _stack(self):
        stacks = self.by_kind[KIND_STACK]
        if not stacks:
            directory = self.root.resolve().name
            name = derived_stack_name(directory)
            if self.inventory.manifests:
                self.diagnostics.append(_name_from_directory(name, directory))
            self._check_state_path(None, None, work_dir=WORK_FOLDER)
            return build_stack_spec({}, name=name, root=self.root, state_path=None, source=None), None, None
        document, result = stacks[0]
        spec = document.data.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        name = _name_of(document) if result.usable(("metadata", "name")) else None
        name = name or derived_stack_name(self.root.resolve().name)
        defaults = None
        if result.usable(("spec", "defaults", "execution")):
            defaults = (spec.get("defaults") or {}).get("execution") or None
        source = Source(document.file, *document.where(()))
        if not result.valid:  # errors will be raised; settings are not used
            return build_stack_spec({}, name=name, root=self.root, state_path=None, source=source), \
                defaults, document if defaults else None
        # relative paths resolve against the folder of the file that holds them (DESIGN §2),
        # the default state path included: .gcsapply/ beside the Stack manifest
        work_dir = shown_path(self.root, resolve_relative(document.file, self.root, WORK_FOLDER))
        state_path = self._check_state_path(document, (spec.get("state") or {}).get("path"),
                                            work_dir=work_dir)
        endpoint_source = None
        if "endpoint" in spec:
            endpoint_source = Source(document.file, *document.where(("spec", "endpoint")),
                                     "spec.endpoint")
        state_source = None
        if isinstance(spec.get("state"), dict):
            state_source = Source(document.file, *document.where(("spec", "state")), "spec.state")
            self._check_state_backend(document, spec["state"])
        stack = build_stack_spec(spec, name=name, root=self.root, state_path=state_path,
                                 source=source, work_dir=work_dir, endpoint_source=endpoint_source,
                                 state_source=state_source)
        return stack, defaults, document if defaults else None

    def _check_state_backend(self, document: YamlDocument, state: dict) -> None:
        """What the schema cannot say of ``spec.state``: a remote backend needs a bucket and
        has no ``path``; the bucket settings mean nothing to ``local``; a lease fits heartbeats."""
        backend = state.get("backend", "local")
        remote_only = [name for name in ("bucket", "key", "endpoint", "region", "lock", "lockLease")
                       if name in state]
        if backend == "local" and remote_only:
            self.diagnostics.append(document.diagnostic(
                ("spec", "state", remote_only[0]), "state-setting-unused",
                f"spec.state.{remote_only[0]} is a setting of the obs and s3 backends, and the "
                "backend is local", hint="add 'backend: obs' (or s3) to keep the state in the "
                "bucket, or remove the bucket settings"))
            return
        if backend == "local":
            return
        if not state.get("bucket"):
            self.diagnostics.append(document.diagnostic(
                ("spec", "state"), "state-bucket-missing",
                f"backend {backend} needs a bucket: spec.state.bucket is missing",
                hint=f"name the bucket that holds the state, e.g. 'bucket: team-gcsapply'"
                     f"{'' if backend == 's3' else ' (endpoint: https://obs.<region>.myhuaweicloud.com by default)'}"))
        if "path" in state:
            self.diagnostics.append(document.diagnostic(
                ("spec", "state", "path"), "state-setting-unused",
                f"spec.state.path is a setting of the local backend, and the backend is {backend}",
                hint="the state object is spec.state.key in the bucket; the journal stays in "
                     ".gcsapply/ beside the Stack"))
        lease = state.get("lockLease")
        if isinstance(lease, str) and lease[:-1].isdigit() and lease[-1:] in ("s", "m", "h") \
                and parse_lease(lease) < MIN_LOCK_LEASE_SECONDS:
            self.diagnostics.append(document.diagnostic(
                ("spec", "state", "lockLease"), "lock-lease-too-short",
                f"spec.state.lockLease {lease} is shorter than {MIN_LOCK_LEASE_SECONDS:.0f}s",
                hint="the holder renews its lock every few seconds; a lease must outlast a "
                     "slow network and a request still on its way to GCS: 5m is the default"))

    def _check_state_path(self, document: YamlDocument | None, value: str | None, *,
                          work_dir: str) -> str:
        """The state file as reached from DIR; reports one outside the stack or not a file.
        ``document`` is the Stack (None without one), ``value`` its ``spec.state.path`` (None for
        the default, ``state.json`` in ``work_dir``). A state file may be in the hidden folder
        ``.gcsapply/`` of DIR or of the Stack's folder, and nowhere else hidden."""
        file = document.file if document else ""
        written = value or DEFAULT_STATE_PATH
        named = name_path(self.root, file, written, must_exist=False,
                          hidden_ok=tuple(dict.fromkeys((WORK_FOLDER, work_dir))))
        if named.problem is None:
            return named.shown
        code = named.code or "bad-state-path"
        hint = named.hint if named.refused else "spec.state.path names the state file, e.g. .gcsapply/state.json"
        if value is None:
            self.diagnostics.append(Diagnostic(ERROR, code, f"state file {quote(named.shown, PATH_LIMIT)} "
                                               f"{named.problem}", named.shown, hint=hint))
        else:
            self.diagnostics.append(document.diagnostic(("spec", "state", "path"), code,
                                                        named.message("state file"), hint=hint))
        return named.shown

    # -- Workflows and their templates ---------------------------------------------------------

    def _load_templates(self) -> None:
        for shown, path in sorted(self.inventory.templates.items()):
            if path_problem(path):
                continue  # reported at each Workflow that names it
            raw = self.inventory.raw.get(shown)  # read by discovery: parsed from those bytes
            template = parse_template(raw, shown) if raw is not None else self._read_template(path, shown)
            self.templates_by_file[shown] = template
            self.diagnostics.extend(template.validate(strict=True))

    def _read_template(self, path: Path, shown: str):
        """A template discovery did not read (``spec.template`` names a file not ending in
        .yaml/.yml), read once and its digest kept."""
        try:
            return parse_template(self.inventory.files.read(path, shown), shown)
        except OSError:
            return load_template(path, shown)  # says why it cannot be read (an error)

    def _template_of(self, document: YamlDocument):
        """``(shown path, Template or None)`` for a Workflow document; reports a missing file."""
        spec = document.data.get("spec")
        value = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(value, str) or not value.strip():
            return None, None
        path = resolve_relative(document.file, self.root, value)
        shown = shown_path(self.root, path)
        if shown not in self.inventory.templates:
            return shown, None  # it names a manifest file: discovery reported it
        what = path_problem(path)
        if what:
            self.diagnostics.append(document.diagnostic(
                ("spec", "template"), "missing-template", f"template {quote(shown, 80)} {what}",
                hint=f"paths are relative to the folder of {document.file}"))
            return shown, None
        return shown, self.templates_by_file.get(shown)

    def _workflows(self):
        workflows, templates = {}, {}
        for document, result in self.by_kind[KIND_WORKFLOW]:
            shown, template = self._template_of(document)
            if not result.valid or template is None:
                continue
            name = _name_of(document)
            spec = build_workflow_spec(document.data["spec"], name=name,
                                  template_path=self.inventory.templates[shown],
                                  template_bytes=template.raw,
                                  source=Source(document.file, *document.where(())))
            workflows[spec.address] = spec
            templates[spec.address] = template
        return dict(sorted(workflows.items())), dict(sorted(templates.items()))

    def _workflow_templates(self) -> dict:
        """Workflow name -> Template (None when unusable), for every Workflow with a name."""
        out = {}
        for document, _valid in self.by_kind[KIND_WORKFLOW]:
            name = _name_of(document)
            if name is not None and name not in out:
                out[name] = self._template_of_quiet(document)
        return out

    def _template_of_quiet(self, document: YamlDocument):
        spec = document.data.get("spec")
        value = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(value, str) or not value.strip():
            return None
        shown = shown_path(self.root, resolve_relative(document.file, self.root, value))
        return self.templates_by_file.get(shown)


def _name_of(document: YamlDocument) -> str | None:
    metadata = document.data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else None


def _name_from_directory(name: str, directory: str) -> Diagnostic:
    return Diagnostic(
        WARNING, "stack-name-from-directory",
        f"this stack has no Stack manifest, so it is named {quote(name, 63)} after its directory; two "
        f"directories named {quote(directory)} in one project would manage the same runs", None,
        hint="add a Stack manifest with a metadata.name unique in the project: "
             "'apiVersion: gcsapply/v1', 'kind: Stack', 'metadata: {name: <name>}', 'spec: {}'")


def _kind_problem(document: YamlDocument, kind) -> Diagnostic:
    known = ", ".join(KINDS)
    if kind is None:
        return document.diagnostic((), "missing-key", "missing required key 'kind'",
                                   hint=f"kinds: {known}")
    suggestion = did_you_mean(kind, KINDS) if isinstance(kind, str) else None
    hint = f"{suggestion} (kinds: {known})" if suggestion else f"kinds: {known}"
    shown = quote(kind) if isinstance(kind, str) else repr(kind) if isinstance(kind, (int, float, bool)) \
        else describe_value(kind)
    return document.diagnostic(("kind",), "unknown-kind", f"unknown kind {shown}", hint=hint)
