"""Fetch live state for a plan: the only read-I/O hop of ``plan`` (DESIGN §4).

List calls only, paged by ``pageSize`` and deduplicated by id (the client re-lists when
``total_num`` moves). Names are compared exactly here: the service's ``name`` filter is a
substring match. Each page is reduced to small records as it streams: only runs that concern
this stack are kept, plus, for every workflow id, which runs use it. Environments and tools
(``scope=domain`` and ``scope=public``) are listed once. Templates about to be uploaded are
checked by the service's validate operation; a ``versioning: none`` workflow whose cheap
fingerprint (``update_at``) moved since state recorded it has its archive read to learn its
digest — the only detail reads.

A run found by its exact name is adopted when it carries this stack's labels; with other labels
it is an error naming its owner. Runs labelled with this stack's name are kept too, whatever
their key: another stack of the same name may have launched them, so plan decides which the
stack owns (:mod:`gcsapply.plan.ownership`), never this listing. Runs that share one name and
the same labels are all kept in ``duplicates`` for plan to report. An environment or tool
reference that does not resolve fails, listing what exists (with "did you mean" when one is
close).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections import defaultdict

import yaml

from gcsapply.diagnostics import ERROR, Diagnostic
from gcsapply.errors import InputError, PlanRefusedError
from gcsapply.live.lookup import labels_match
from gcsapply.live.model import LiveExecution, LiveState, LiveWorkflow, listed_execution
from gcsapply.manifest.model import KIND_EXECUTION, KIND_WORKFLOW, LABEL_STACK, DesiredStack, run_labels
from gcsapply.manifest.names import base_name, versioned_name
from gcsapply.state.file import State


def fetch_live(api, desired: DesiredStack, state: State, *, page_size: int = 100,
               templates: dict | None = None, keys: dict | None = None) -> LiveState:
    """List what the plan needs; raise on foreign runs and unresolved references.

    ``keys`` (address -> run key) saves recomputing the run keys."""
    workflows, public = _list_workflows(api, desired, state, page_size)
    executions, users, duplicates = _list_executions(api, desired, state, page_size, keys or {})
    environments = tuple(sorted({e.get("name") for e in api.list_environments()
                                 if e.get("name")}))
    tools = tuple(sorted({_tool_ref(t) for scope in ("domain", "public")
                          for t in api.list_tools(scope=scope, page_size=page_size)}))
    live = LiveState(workflows=workflows, executions=executions, users=users,
                     environments=environments, tools=tools, public_workflows=public,
                     duplicates=duplicates)
    live = _with_digests(api, desired, state, live)
    diagnostics = check_references(desired, live, templates or {})
    diagnostics += _validate_uploads(api, desired, live)
    if diagnostics:
        raise InputError(f"{len(diagnostics)} problem(s) with what the stack refers to in GCS",
                         diagnostics=diagnostics)
    return live


def check_references(desired: DesiredStack, live: LiveState, templates: dict) -> list[Diagnostic]:
    """Environments, tools and ``{id: ...}`` workflows that do not exist in GCS.

    Each is reported where its value was written (the Execution's ``spec.environment``, the
    set's template, the Stack's ``spec.defaults.execution`` or a sample-sheet row), once per
    place, naming the runs that use it."""
    diagnostics = []
    existing = set(live.environments)

    def unknown_environment(spec):
        return spec.environment if spec.environment and spec.environment not in existing else None

    def unknown_workflow_id(spec):
        if not spec.workflow.startswith("id:") or live.workflow_by_id(spec.workflow[3:]) is not None:
            return None
        return spec.workflow[3:]

    for (environment, _where), specs in _unknown(desired, "environment", unknown_environment):
        diagnostics.append(_missing(specs[0].source_of("environment"), "unknown-environment",
                                    f"environment '{environment}' does not exist (used by "
                                    f"{_users(specs)})", "spec.environment",
                                    _hint(environment, live.environments, "environments")))
    for (workflow_id, _where), specs in _unknown(desired, "workflow", unknown_workflow_id):
        diagnostics.append(_missing(specs[0].source_of("workflow"), "unknown-workflow-id",
                                    f"no workflow with id {workflow_id} in the project (used by "
                                    f"{_users(specs)})", "spec.workflow.id",
                                    "give the id of a workflow of this project, or a "
                                    "public one"))
    available = set(live.tools)
    names = {ref.split(":")[0] for ref in available}
    for _address, template in sorted(templates.items()):
        for step, tool, (line, column) in _tool_refs(template):
            if tool in available or (":" not in tool and tool in names):
                continue
            diagnostics.append(Diagnostic(
                ERROR, "unknown-tool", f"tool '{tool}' of step '{step}' does not exist in GCS",
                template.file, line, column, f"workflow.{step}.tool",
                _hint(tool, live.tools, "tools")))
    return diagnostics


def _list_workflows(api, desired: DesiredStack, state: State, page_size: int):
    names = {w.name for w in desired.workflows.values()}
    wanted = {w.gcs_name for w in desired.workflows.values()}
    ids = set()
    for entry in state.resources.values():
        if entry.get("kind") == KIND_WORKFLOW:
            ids.add(entry.get("gcs_id"))
            ids.update(v.get("gcs_id") for v in entry.get("versions", []))
    referenced = {s.workflow[3:] for s in desired.executions.values() if s.workflow.startswith("id:")}
    workflows: dict[str, LiveWorkflow] = {}
    for item in api.list_workflows(scope="domain", page_size=page_size):
        record = LiveWorkflow.from_item(item)
        if record.name in wanted or record.id in ids or record.id in referenced \
                or base_name(record.name) in names:
            workflows[record.name] = record
    public: dict[str, LiveWorkflow] = {}
    missing = referenced - {w.id for w in workflows.values()}
    if missing:
        for item in api.list_workflows(scope="public", page_size=page_size):
            if item.get("id") in missing:
                public[item["id"]] = LiveWorkflow.from_item(item)
    return workflows, public


def _list_executions(api, desired: DesiredStack, state: State, page_size: int, keys: dict):
    stack = desired.stack.name
    expected = {}
    for address, spec in desired.executions.items():
        key = keys.get(address) or spec.key
        expected[versioned_name(spec.name, key)] = (spec, key)
    known_ids, known_names = set(), set()
    for entry in state.resources.values():
        if entry.get("kind") == KIND_EXECUTION:
            known_ids.add(entry.get("gcs_id"))
            known_names.add(entry.get("gcs_name"))
            for record in entry.get("superseded", []):
                known_ids.add(record.get("gcs_id"))
    users: dict[str, set] = defaultdict(set)
    kept: dict[str, LiveExecution] = {}
    foreign: dict[str, LiveExecution] = {}
    duplicates: dict[str, dict[str, LiveExecution]] = {}
    for item in api.list_executions(page_size=page_size):
        execution = listed_execution(item)
        guid, name = execution.get("guid"), execution.get("name")
        if execution.get("workflow_id"):
            users[execution["workflow_id"]].add(guid)
        labels = execution.get("label") or {}
        ours = labels.get(LABEL_STACK) == stack
        if not (ours or name in expected or name in known_names or guid in known_ids):
            continue
        record = LiveExecution.from_item(item)
        spec, key = expected.get(name, (None, None))
        if spec is not None and guid not in known_ids \
                and not labels_match(record.labels, run_labels({}, stack, key)):
            foreign.setdefault(name, record)
            continue
        if name in kept:
            if _same_labels(record, kept[name], stack):
                duplicates.setdefault(name, {kept[name].id: kept[name]})[guid] = record
            if not _prefer(record, kept[name], known_ids):
                continue
        kept[name] = record
    clashes = [(expected[name][0], run) for name, run in sorted(foreign.items())
               if name not in kept]
    if clashes:
        raise PlanRefusedError(
            "runs with the names of this stack's runs belong to someone else:\n"
            + "\n".join(f"  - {spec.address}: {run.name} ({run.id}) is {_owner(run)}"
                        for spec, run in clashes),
            hint="gcsapply never adopts a run it did not label; rename metadata.name or change "
                 "spec.runPolicy.rerunToken")
    return (kept, {k: frozenset(v) for k, v in users.items()},
            {name: tuple(sorted(runs.values(), key=_age)) for name, runs in sorted(duplicates.items())})


def _validate_uploads(api, desired: DesiredStack, live: LiveState) -> list[Diagnostic]:
    """The service's validate operation, for each template about to be uploaded."""
    diagnostics = []
    for spec in sorted(desired.workflows.values(), key=lambda w: w.name):
        existing = live.workflows.get(spec.gcs_name)
        if existing is not None and (spec.versioning == "content"
                                     or existing.digest in (None, spec.digest)):
            continue  # nothing to upload
        try:
            content = yaml.safe_load(spec.template_bytes.decode("utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # load_stack reported it already
        answer = api.validate_workflow(content) or {}
        for error in answer.get("errors") or []:
            file = spec.source.file if spec.source else None
            diagnostics.append(Diagnostic(
                ERROR, "service-validation", f"GCS refuses the template of {spec.address}: "
                f"{error.get('message')}", str(spec.template_path.name) if not file else file,
                spec.source.line if spec.source else None, None, error.get("path"),
                "the service's validate operation checks the template as uploaded"))
    return diagnostics


def _with_digests(api, desired: DesiredStack, state: State, live: LiveState) -> LiveState:
    """Read the archive of ``versioning: none`` workflows state cannot vouch for."""
    updated = dict(live.workflows)
    for spec in desired.workflows.values():
        record = live.workflows.get(spec.gcs_name)
        if spec.versioning != "none" or record is None or record.digest is not None:
            continue
        entry = state.entry(spec.address) or {}
        if entry.get("gcs_id") == record.id and entry.get("update_at") \
                and entry.get("update_at") == record.update_at:
            continue  # the cheap fingerprint vouches for the recorded digest
        digest = hashlib.sha256(api.download_workflow(record.id)).hexdigest()
        updated[record.name] = LiveWorkflow(record.id, record.name, record.description,
                                            record.vendor, record.update_at, digest)
    if updated == dict(live.workflows):
        return live
    return dataclasses.replace(live, workflows=updated)


def _prefer(candidate: LiveExecution, current: LiveExecution, known_ids: set) -> bool:
    """Of two runs with one name (only under execution-names any): ours, else the oldest."""
    if (candidate.id in known_ids) != (current.id in known_ids):
        return candidate.id in known_ids
    return _age(candidate) < _age(current)


def _same_labels(run: LiveExecution, other: LiveExecution, stack: str) -> bool:
    """Both runs carry this stack's name and the same key: duplicates, not a name clash."""
    return run.stack == other.stack == stack and run.key_label == other.key_label


def _age(run: LiveExecution) -> tuple:
    return (run.create_at or "", run.id or "")


def _owner(run: LiveExecution) -> str:
    if run.stack:
        return f"labelled for stack '{run.stack}' (key {run.key_label or 'none'})"
    return "not labelled by gcsapply (no gcsapply-stack label)"


def _tool_ref(tool: dict) -> str:
    name, version = tool.get("name") or "", tool.get("version") or ""
    return f"{name}:{version}" if version else name


def _tool_refs(template):
    data = getattr(template, "data", None) or {}
    workflow = data.get("workflow") if isinstance(data, dict) else None
    if not isinstance(workflow, dict):
        return
    for step, body in workflow.items():
        tool = body.get("tool") if isinstance(body, dict) else None
        if isinstance(tool, str) and "${" not in tool:
            document = getattr(template, "document", None)
            where = document.where(("workflow", step, "tool")) if document else (None, None)
            yield str(step), tool, where


def _unknown(desired: DesiredStack, name: str, missing) -> list[tuple[tuple, list]]:
    """Runs for which ``missing(spec)`` returns a name GCS lacks, grouped by that name and where the
    field ``name`` was written (runs with no recorded position are grouped by name alone)."""
    groups: dict[tuple, list] = {}
    for spec in sorted(desired.executions.values(), key=lambda s: s.name):
        value = missing(spec)
        if value:
            where = spec.positions.get(name)
            groups.setdefault((value, _order(where)), []).append(spec)
    return sorted(groups.items())


def _order(source) -> tuple:
    """A sortable key of a Source (or of none)."""
    if source is None:
        return ()
    return (source.file, source.line or 0, source.column or 0, source.path or "")


def _users(specs: list) -> str:
    return ", ".join(s.address for s in specs[:3]) + (
        f" and {len(specs) - 3} more" if len(specs) > 3 else "")


def _missing(source, code, message, path, hint) -> Diagnostic:
    """A reference problem at ``source``: its own key path when it has one, else ``path``."""
    return Diagnostic(ERROR, code, message, source.file if source else None,
                      source.line if source else None, source.column if source else None,
                      (source.path if source else None) or path, hint)


def _hint(value: str, existing, what: str) -> str:
    close = difflib.get_close_matches(value, list(existing), n=1, cutoff=0.6)
    listing = ", ".join(existing) if existing else "(none)"
    if close:
        return f"did you mean '{close[0]}'? existing {what}: {listing}"
    return f"existing {what}: {listing}"
