"""Executions X1-X9: the create-time rules (shared with ``/_emulator/seed``), unique names,
batches of at most 50, the operate preconditions of ``lifecycle.TRANSITIONS``, listings.

A run's status is never stored: :class:`Run` pairs the stored row with what
``lifecycle.simulate`` says it shows at a time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gcsapply.emulator.backend.state import Emulator, builtins_for
from gcsapply.emulator.backend.workflows import get_workflow, workflow_template
from gcsapply.emulator.errors import (
    BadAction,
    BadField,
    BadInputs,
    BatchTooLarge,
    ExecutionNameTaken,
    ExecutionNotFound,
    MissingField,
    MissingPvc,
    WrongState,
)
from gcsapply.emulator.lifecycle import TRANSITIONS, Snapshot, allowed
from gcsapply.emulator.rules import DIGITS, check_integer, check_name, check_text
from gcsapply.errors import TemplateError

MAX_BATCH = 50
ACTIONS = ("cancel", "retry", "update")
TARGETS = ("cci", "cce")
PULL_POLICIES = ("IfNotPresent", "Always", "Never")
EXECUTION_NAME_MAX_BYTES = 63
DEFAULT_TIMEOUT_MIN = 1440


@dataclass(frozen=True)
class Run:
    """A stored run as it shows at a time: what ``views.execution_view`` renders."""

    row: dict
    snapshot: Snapshot
    inputs: dict  # given at create, as replaced by the latest retry that gave inputs
    outputs: dict  # output name -> paths of the expanded graph
    template: bytes | None = None  # the stored YAML, for the detailed view only


def create_execution(app: Emulator, project_id: str, body: dict) -> str:
    """X1: the id of the new run."""
    name = check_execution_name(body.get("name"))
    workflow = _workflow_of(app, project_id, body)
    doc = launch_settings(app, project_id, body, workflow)
    inputs = check_inputs(app, workflow, body.get("inputs_json"), doc)
    record = execution_record(project_id, workflow, name, doc, inputs,
                              priority=_priority(body), created_at=app.clock.now())
    insert_runs(app, [record])
    return record["id"]


def create_executions_batch(app: Emulator, project_id: str, body: dict) -> list[str]:
    """X2: one run per element of ``inputs_json_list``, named ``<name>-<i>``; their ids."""
    inputs_list = body.get("inputs_json_list")
    if not isinstance(inputs_list, list) or not inputs_list:
        raise MissingField("inputs_json_list must be a non-empty array of input objects")
    if len(inputs_list) > MAX_BATCH:
        raise BatchTooLarge(f"{len(inputs_list)} elements given")
    base = body.get("name")
    names = [check_execution_name(base, f"-{i}") for i in range(len(inputs_list))]
    workflow = _workflow_of(app, project_id, body)
    doc = launch_settings(app, project_id, body, workflow)
    now, priority = app.clock.now(), _priority(body)
    records = [execution_record(project_id, workflow, name, doc,
                                check_inputs(app, workflow, inputs, doc, f"inputs_json_list[{i}]"),
                                priority=priority, created_at=now, batch_name=base)
               for i, (name, inputs) in enumerate(zip(names, inputs_list, strict=True))]
    insert_runs(app, records)
    return [r["id"] for r in records]


def operate_execution(app: Emulator, project_id: str, execution_id: str, body: dict) -> str:
    """X9: cancel, retry (optionally with new inputs) or update (priority, timeout); the run's id."""
    action = body.get("action")
    if action not in ACTIONS:
        raise BadAction(f"action={action!r} must be one of {', '.join(ACTIONS)}")
    priority = _priority(body)
    timeout = check_integer(body.get("timeout", 1440), "timeout", 1, 10**6)
    with app.store.transaction():
        row = get_execution(app, project_id, execution_id)
        now = app.clock.now()
        status = app.snapshot(row, now).status
        if not allowed(action, status):
            allowed_from = ", ".join(sorted(TRANSITIONS[action]))
            raise WrongState(f"cannot {action} execution {row['name']} in status {status}; "
                             f"{action} is allowed from {allowed_from}")
        doc = {**row["doc"], "timeout": timeout}
        changes = {"priority": priority, "updated_at": now, "doc": doc}
        if action != "update":
            op = {"action": action, "at": now}
            if action == "retry" and body.get("inputs_json"):
                workflow = get_workflow(app, project_id, row["workflow_id"])
                if not isinstance(body["inputs_json"], dict):
                    raise BadInputs("inputs_json must be an object of input name -> value")
                merged = {**current_inputs(row), **body["inputs_json"]}
                op["inputs"] = check_inputs(app, workflow, merged, doc)
            changes["ops"] = row["ops"] + [op]
        app.store.update("executions", "id", row["id"], changes)
    return row["id"]


def delete_execution(app: Emulator, project_id: str, execution_id: str) -> None:
    """X3."""
    app.store.delete("executions", get_execution(app, project_id, execution_id)["id"])


def list_executions(app: Emulator, project_id: str, now: float, *, status: str, sort: str,
                    filters: dict[str, str | None], start: int,
                    limit: int | None) -> tuple[list[Run], int]:
    """X5: ``(the page of runs, total)``, newest first or by priority (``sort`` asc/desc).

    ``filters``: ``name`` (a substring), ``workflow_name``, ``batch_name`` (exact); ``status``
    is what the runs show at ``now``, so it filters after the query."""
    where, args = ["project_id = ?"], [project_id]
    for column, op in (("name", "instr(name, ?) > 0"), ("workflow_name", "workflow_name = ?"),
                       ("batch_name", "batch_name = ?")):
        if filters.get(column):
            where.append(op)
            args.append(filters[column])
    order = {"": "created_at DESC, seq DESC", "asc": "priority ASC, created_at DESC, seq DESC",
             "desc": "priority DESC, created_at DESC, seq DESC"}[sort]
    sql = f"FROM executions WHERE {' AND '.join(where)}"
    if status:
        rows = [r for r in app.store.rows(f"SELECT * {sql} ORDER BY {order}", args)
                if app.snapshot(r, now).status == status]
        total = len(rows)
        rows = rows[start:] if limit is None else rows[start:start + limit]
    else:
        total = app.store.scalar(f"SELECT COUNT(*) {sql}", args)
        rows = app.store.rows(f"SELECT * {sql} ORDER BY {order} LIMIT ? OFFSET ?",
                              args + [-1 if limit is None else limit, start])
    return [show_execution(app, r, now) for r in rows], total


def get_execution(app: Emulator, project_id: str, execution_id: str) -> dict:
    """The stored row of a run of the project; ExecutionNotFound otherwise."""
    row = app.store.get("executions", project_id, execution_id)
    if row is None:
        raise ExecutionNotFound(f"no execution {execution_id} in project {project_id}")
    return row


def show_execution(app: Emulator, row: dict, now: float, *, detail: bool = False) -> Run:
    """The run as it shows at ``now``; ``detail`` adds the stored template."""
    graph = execution_graph(app, row)
    template = app.store.get_template(row["template_hash"]) if detail else None
    return Run(row, app.snapshot(row, now), current_inputs(row), graph.outputs, template)


def execution_snapshot(app: Emulator, row: dict) -> Snapshot:
    """The run's state now (its events included)."""
    return app.snapshot(row)


def execution_graph(app: Emulator, row: dict):
    """The run's job graph, expanded with its current inputs."""
    return app.graph(row["template_hash"], current_inputs(row), builtins_for(row["doc"]))


def execution_template(app: Emulator, row: dict):
    """The parsed template the run was created from."""
    return app.template(row["template_hash"])


def current_inputs(row: dict) -> dict:
    """The inputs given at create, as replaced by the latest retry that gave inputs."""
    inputs = row["doc"].get("inputs") or {}
    for op in row["ops"]:
        inputs = op.get("inputs") or inputs
    return inputs


def launch_settings(app: Emulator, project_id: str, body: dict, workflow: dict) -> dict:
    """The ``doc`` of a new run, minus its inputs; raises the documented 400s."""
    sfs = body.get("sfs_pvc_name")
    if not isinstance(sfs, str) or not sfs:
        raise MissingPvc("sfs_pvc_name is required")
    target = body.get("target") or "cci"
    if target not in TARGETS:
        raise BadField(f"target={target!r} must be cci or cce")
    namespace = body.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise BadField("namespace must be a string")
    labels = body.get("label") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in labels.items()):
        raise BadField("label must be an object of string keys and string values")
    notification = body.get("notification") or {}
    if not isinstance(notification, dict):
        raise BadField("notification must be an object {events, endpoints}")
    options = body.get("advanced_options") or {}
    if not isinstance(options, dict):
        raise BadField("advanced_options must be an object")
    policy = options.get("image_pull_policy") or "IfNotPresent"
    if policy not in PULL_POLICIES:
        raise BadField(f"advanced_options.image_pull_policy must be one of {', '.join(PULL_POLICIES)}")
    retries = options.get("job_retry_count", "3" if target == "cce" else "0")
    if isinstance(retries, bool) or not DIGITS.match(str(retries)):
        raise BadField("advanced_options.job_retry_count must be a string holding an integer")
    return {
        "namespace": namespace or ("default" if target == "cce" else ""),
        "cluster_id": str(body.get("cluster_id") or ""),
        "description": check_text(body.get("description"), "description"),
        "sfs_pvc_name": sfs,
        "data_pvc_name": f"gene-pvc-{project_id[:8]}",
        "ref_pvc_name": "gene-ref-pvc",
        "target": target,
        "timeout": check_integer(body.get("timeout", DEFAULT_TIMEOUT_MIN), "timeout", 1, 10**6),
        "label": labels,
        "notification": notification,
        "advanced_options": {"image_pull_policy": policy, "job_retry_count": str(retries)},
        "ref_bucket_name": str(body.get("ref_bucket_name") or ""),
        "data_bucket_name": str(body.get("data_bucket_name") or ""),
        "enterprise_project_id": str(body.get("enterprise_project_id") or "0"),
        "workflow_scope": workflow["scope"],
        "job_seconds": float(app.settings.job_seconds),
        "pending_seconds": min(1.0, float(app.settings.job_seconds)),
        "domain_id": app.credentials.domain_id,
    }


def check_inputs(app: Emulator, workflow: dict, inputs, doc: dict, what: str = "inputs_json") -> dict:
    """Run-time inputs checked against the template and expanded once; BadInputs otherwise."""
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise BadInputs(f"{what} must be an object of input name -> value")
    problems = workflow_template(app, workflow).check_inputs(inputs)
    if problems:
        raise BadInputs("; ".join(problems))
    try:
        app.graph(workflow["template_hash"], inputs, builtins_for(doc))
    except TemplateError as exc:
        raise BadInputs(exc.message) from None
    return inputs


def execution_record(project_id: str, workflow: dict, name: str, doc: dict, inputs: dict, *,
                     priority: int, created_at: float, batch_name: str = "") -> dict:
    """The row of a new run."""
    return {"id": str(uuid.uuid4()), "project_id": project_id, "name": name,
            "workflow_id": workflow["id"], "workflow_name": workflow["name"],
            "batch_name": batch_name, "priority": priority,
            "template_hash": workflow["template_hash"], "created_at": created_at,
            "updated_at": created_at, "doc": {**doc, "inputs": inputs}, "ops": []}


def check_execution_name(value, suffix: str = "") -> str:
    """A run name (and the name with ``suffix``, for batches): K8s-style, at most 63 bytes."""
    check_name(value, "name", EXECUTION_NAME_MAX_BYTES)
    return check_name(f"{value}{suffix}", "name", EXECUTION_NAME_MAX_BYTES)


def insert_runs(app: Emulator, records: list[dict]) -> None:
    """Insert runs atomically, refusing taken names unless execution names may repeat."""
    with app.store.transaction():
        if app.settings.execution_names == "unique" and records:
            names = [r["name"] for r in records]
            if len(set(names)) != len(names):
                raise ExecutionNameTaken("the batch repeats a name")
            for start in range(0, len(names), 500):
                chunk = names[start:start + 500]
                marks = ",".join("?" for _ in chunk)
                taken = app.store.rows(f"SELECT name FROM executions WHERE project_id = ? AND "
                                       f"name IN ({marks})", [records[0]["project_id"], *chunk])
                if taken:
                    raise ExecutionNameTaken(f"{taken[0]['name']!r} is already used in this project")
        app.store.insert_many("executions", records)


def _workflow_of(app: Emulator, project_id: str, body: dict) -> dict:
    workflow_id = body.get("workflow_id")
    if not isinstance(workflow_id, str) or not workflow_id:
        raise MissingField("workflow_id is required")
    return get_workflow(app, project_id, workflow_id)


def _priority(body: dict) -> int:
    return check_integer(body.get("priority", 0), "priority", 0, 999)
