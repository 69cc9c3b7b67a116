"""The control API's rules (``/_emulator/*``): moving the clock, and bulk-loading workflows and
runs for benchmarks in one transaction with no per-run round trip. Every value is checked
before anything is stored."""

from __future__ import annotations

import math
import uuid

from gcsapply.emulator.backend.executions import (
    check_execution_name,
    check_inputs,
    execution_record,
    insert_runs,
    launch_settings,
)
from gcsapply.emulator.backend.state import MAX_CLOCK_OFFSET_S, Emulator
from gcsapply.emulator.backend.workflows import find_workflow, validate_template
from gcsapply.emulator.credentials import EMBEDDED_PROJECT_ID
from gcsapply.emulator.errors import BadBody, BadField, MissingField, WorkflowNotFound
from gcsapply.emulator.lifecycle import CANCELLED, FAILED, PENDING, RUNNING, SUCCEEDED
from gcsapply.emulator.rules import check_integer, check_name

SEED_STATUSES = (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED)
SEED_BACKDATE_S = 86_400.0
MAX_SEED_WORKFLOWS = 1_000  # per call
MAX_SEED_GROUPS = 100_000  # groups of executions per call (bench/plan_bench.py --full sends 2,000)
MAX_SEED_EXECUTIONS = 100_000  # runs per call, all groups together


def advance_clock(app: Emulator, seconds) -> None:
    """Move the clock forward by a number of seconds in [0, ten years]; a served emulator keeps
    its offset across restarts, at most ten years ahead in all. The clock never moves back:
    runs derive their status from stored times, which must not end up in the future."""
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
            or not math.isfinite(seconds) or not 0 <= seconds <= MAX_CLOCK_OFFSET_S):
        raise BadField(f"advance_s={seconds!r} must be a number of seconds between 0 and "
                       f"{MAX_CLOCK_OFFSET_S:.0f} (ten years)")
    if not hasattr(app.clock, "advance"):
        raise BadField("this emulator runs on a clock that cannot be moved")
    try:
        app.clock.advance(float(seconds))
    except ValueError as exc:  # the offset would pass ten years: nothing moved
        raise BadField(f"advance_s={seconds!r}: {exc}") from None


def seed(app: Emulator, body: dict) -> tuple[str, dict[str, str], int]:
    """Bulk-load workflows and runs: ``(project_id, {workflow name: id}, runs inserted)``.

    Body: ``{"project_id", "workflows": [{"name", "template", "description"?}],
    "executions": {"count", "workflow", "name_prefix", "start_index", "names", "labels",
    "status", "inputs", "priority"} | [...]}``. Runs are named ``names`` when given, else
    ``<name_prefix><i>`` for i from ``start_index``; ``status`` is what they show now: Succeeded,
    Failed and Cancelled runs are backdated a day, Running ones just started, Pending ones just
    created. All groups go in as one transaction.
    """
    project_id = str(body.get("project_id") or EMBEDDED_PROJECT_ID)
    specs = body.get("workflows") or []
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise BadBody("workflows must be a list of objects {name, template, description}")
    if len(specs) > MAX_SEED_WORKFLOWS:
        raise BadField(f"workflows holds {len(specs)} workflows; at most {MAX_SEED_WORKFLOWS}")
    groups = body.get("executions") or []
    groups = [groups] if isinstance(groups, dict) else groups
    _check_seed_size(groups)
    app.ensure_tenant(project_id)
    now = app.clock.now()
    workflow_ids = {}
    for spec in specs:
        workflow_ids[spec.get("name")] = _seed_workflow(app, project_id, spec, now)
    records = [r for group in groups for r in _seed_executions(app, project_id, group, now)]
    insert_runs(app, records)
    return project_id, workflow_ids, len(records)


def _check_seed_size(groups) -> None:
    """Groups are objects; their counts are integers; no more runs than MAX_SEED_EXECUTIONS."""
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise BadBody("executions must be an object or a list of objects")
    if len(groups) > MAX_SEED_GROUPS:
        raise BadField(f"executions holds {len(groups)} groups; at most {MAX_SEED_GROUPS}")
    total = 0
    for group in groups:
        names = group.get("names")
        if names is not None and (not isinstance(names, list)
                                  or not all(isinstance(n, str) for n in names)):
            raise BadField("executions.names must be a list of execution names")
        count = len(names) if names is not None else group.get("count", 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BadField("executions.count must be an integer >= 0")
        total += count
    if total > MAX_SEED_EXECUTIONS:
        raise BadField(f"executions asks for {total} runs; at most {MAX_SEED_EXECUTIONS} per call")


def _seed_workflow(app: Emulator, project_id: str, spec: dict, now: float) -> str:
    name = check_name(spec.get("name"), "workflows[].name", 64)
    content = spec.get("template")
    if not isinstance(content, str):
        raise MissingField(f"workflows[{name}].template must be the template text")
    validate_template(content.encode("utf-8"), f"{name}.yaml")
    row = find_workflow(app, project_id, name)
    if row:
        return row["id"]
    workflow_id = str(uuid.uuid4())
    digest = app.store.put_template(content.encode("utf-8"))
    app.store.insert("workflows", {
        "id": workflow_id, "project_id": project_id, "name": name, "scope": "domain",
        "template_hash": digest, "created_at": now, "updated_at": now,
        "doc": {"description": spec.get("description", ""), "vendor": app.credentials.domain,
                "domain": app.credentials.domain, "domain_id": app.credentials.domain_id,
                "filename": f"{name}.yaml", "logo": "", "image": "", "enterprise_project_id": "0"}})
    return workflow_id


def _seed_executions(app: Emulator, project_id: str, group: dict, now: float) -> list[dict]:
    """The records of one group (already checked by ``_check_seed_size``)."""
    names = group.get("names")
    count = len(names) if names is not None else group.get("count", 0)
    status = group.get("status", SUCCEEDED)
    if status not in SEED_STATUSES:
        raise BadField(f"executions.status must be one of {', '.join(SEED_STATUSES)}")
    workflow_name = group.get("workflow")
    if not isinstance(workflow_name, str):
        raise MissingField("executions.workflow must name a workflow")
    workflow = find_workflow(app, project_id, workflow_name)
    if workflow is None:
        raise WorkflowNotFound(f"seed: no workflow named {workflow_name!r}")
    prefix = str(group.get("name_prefix") or f"{workflow['name']}-run-")
    labels = group.get("labels") or {}
    body = {"sfs_pvc_name": group.get("sfs_pvc_name", "gene-sfs"), "label": labels,
            "namespace": group.get("namespace", "gene"),
            "priority": check_integer(group.get("priority", 0), "executions.priority", 0, 999)}
    doc = launch_settings(app, project_id, body, workflow)
    inputs = check_inputs(app, workflow, group.get("inputs") or {}, doc)
    created, ops, fail = _seed_timing(status, now, doc)
    first = check_integer(group.get("start_index", 0), "executions.start_index", 0, 10**12)
    if names is None:
        names = [f"{prefix}{i}" for i in range(first, first + count)]
        for name in names[:1] + names[-1:]:  # the first decides the characters, the last the length
            check_execution_name(name)
    else:
        names = [check_execution_name(n) for n in names]
    records = []
    for name in names:
        record = execution_record(project_id, workflow, name, doc, inputs,
                                  priority=int(body["priority"]), created_at=created)
        record["ops"] = ops
        if fail:
            record["doc"]["fail_first_job"] = True
        records.append(record)
    return records


def _seed_timing(status: str, now: float, doc: dict) -> tuple[float, list, bool]:
    """(created_at, ops, fail_first_job) that make a run show ``status`` at ``now``."""
    if status == PENDING:
        return now, [], False
    if status == RUNNING:
        return now - doc["pending_seconds"] - doc["job_seconds"] / 2, [], False
    created = now - SEED_BACKDATE_S
    if status == CANCELLED:
        return created, [{"action": "cancel", "at": created + doc["pending_seconds"] / 2}], False
    return created, [], status == FAILED
