"""Executions X1-X9: create (single and batch), list, get, inputs, outputs, events, operate, delete."""

from __future__ import annotations

from gcsapply.emulator.app import Emulator, builtins_for
from gcsapply.emulator.errors import BadAction, BadInputs, BatchTooLarge, ExecutionNotFound, MissingField, WrongState
from gcsapply.emulator.events import render_events
from gcsapply.emulator.handlers_workflows import get_workflow_row
from gcsapply.emulator.lifecycle import ALL_STATUSES, TRANSITIONS, allowed
from gcsapply.emulator.rules import check_project_arg, choice_arg, parse_paging
from gcsapply.emulator.runs import (
    check_execution_name,
    check_inputs,
    check_integer,
    execution_record,
    insert_runs,
    launch_settings,
)
from gcsapply.emulator.views import current_inputs, execution_view, inputs_view, outputs_view
from gcsapply.emulator.wire import Request, Response

MAX_BATCH = 50
ACTIONS = ("cancel", "retry", "update")
LIST_STATUSES = ALL_STATUSES + ("Deleting",)


def create_execution(app: Emulator, req: Request) -> Response:
    body = req.json()
    name = check_execution_name(body.get("name"))
    workflow = _workflow_of(app, req, body)
    doc = launch_settings(app, req.project_id, body, workflow)
    inputs = check_inputs(app, workflow, body.get("inputs_json"), doc)
    record = execution_record(req.project_id, workflow, name, doc, inputs,
                              priority=_priority(body), created_at=app.clock.now())
    insert_runs(app, [record])
    return Response.json(201, {"id": record["id"]})


def create_executions_batch(app: Emulator, req: Request) -> Response:
    body = req.json()
    inputs_list = body.get("inputs_json_list")
    if not isinstance(inputs_list, list) or not inputs_list:
        raise MissingField("inputs_json_list must be a non-empty array of input objects")
    if len(inputs_list) > MAX_BATCH:
        raise BatchTooLarge(f"{len(inputs_list)} elements given")
    base = body.get("name")
    names = [check_execution_name(base, f"-{i}") for i in range(len(inputs_list))]
    workflow = _workflow_of(app, req, body)
    doc = launch_settings(app, req.project_id, body, workflow)
    now, priority = app.clock.now(), _priority(body)
    records = [execution_record(req.project_id, workflow, name, doc,
                                check_inputs(app, workflow, inputs, doc, f"inputs_json_list[{i}]"),
                                priority=priority, created_at=now, batch_name=base)
               for i, (name, inputs) in enumerate(zip(names, inputs_list, strict=True))]
    insert_runs(app, records)
    return Response.json(201, {"ids": [r["id"] for r in records]})


def delete_execution(app: Emulator, req: Request) -> Response:
    row = get_execution_row(app, req)
    app.store.delete("executions", row["id"])
    return Response.empty(204)


def operate_execution(app: Emulator, req: Request) -> Response:
    body = req.json()
    action = body.get("action")
    if action not in ACTIONS:
        raise BadAction(f"action={action!r} must be one of {', '.join(ACTIONS)}")
    priority = _priority(body)
    timeout = check_integer(body.get("timeout", 1440), "timeout", 1, 10**6)
    with app.store.transaction():
        row = get_execution_row(app, req)
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
                workflow = get_workflow_row(app, req.project_id, row["workflow_id"])
                if not isinstance(body["inputs_json"], dict):
                    raise BadInputs("inputs_json must be an object of input name -> value")
                merged = {**current_inputs(row), **body["inputs_json"]}
                op["inputs"] = check_inputs(app, workflow, merged, doc)
            changes["ops"] = row["ops"] + [op]
        app.store.update("executions", "id", row["id"], changes)
    return Response.json(200, {"id": row["id"]})


def list_executions(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    check_project_arg(req.arg("project_id"), req.project_id)
    status = choice_arg(req.arg("status"), "status", LIST_STATUSES)
    sort = choice_arg(req.arg("priority_sort"), "priority_sort", ("asc", "desc"))
    where, args = ["project_id = ?"], [req.project_id]
    for _column, value, op in (("name", req.arg("name"), "instr(name, ?) > 0"),
                              ("workflow_name", req.arg("workflow_name"), "workflow_name = ?"),
                              ("batch_name", req.arg("batch_name"), "batch_name = ?")):
        if value:
            where.append(op)
            args.append(value)
    order = {"": "created_at DESC, seq DESC", "asc": "priority ASC, created_at DESC, seq DESC",
             "desc": "priority DESC, created_at DESC, seq DESC"}[sort]
    sql = f"FROM executions WHERE {' AND '.join(where)}"
    now = app.clock.now()
    if status:
        rows = [r for r in app.store.rows(f"SELECT * {sql} ORDER BY {order}", args)
                if app.snapshot(r, now).status == status]
        total = len(rows)
        rows = rows[start:] if limit is None else rows[start:start + limit]
    else:
        total = app.store.scalar(f"SELECT COUNT(*) {sql}", args)
        rows = app.store.rows(f"SELECT * {sql} ORDER BY {order} LIMIT ? OFFSET ?",
                              args + [-1 if limit is None else limit, start])
    items = [_view(app, r, now) for r in rows]
    return Response.json(200, {"executions": items, "total_num": total})


def get_execution(app: Emulator, req: Request) -> Response:
    row = get_execution_row(app, req)
    now = app.clock.now()
    return Response.json(200, _view(app, row, now, detail=True))


def get_execution_inputs(app: Emulator, req: Request) -> Response:
    row = get_execution_row(app, req)
    doc = row["doc"]
    graph = app.graph(row["template_hash"], current_inputs(row), builtins_for(doc))
    return Response.json(200, inputs_view(app.template(row["template_hash"]), graph, doc))


def get_execution_outputs(app: Emulator, req: Request) -> Response:
    row = get_execution_row(app, req)
    doc = row["doc"]
    graph = app.graph(row["template_hash"], current_inputs(row), builtins_for(doc))
    return Response.json(200, outputs_view(graph))


def get_execution_events(app: Emulator, req: Request) -> Response:
    row = get_execution_row(app, req)
    snap = app.snapshot(row)
    return Response.json(200, render_events(snap.events, row["name"], row["doc"].get("namespace", "")))


def _view(app: Emulator, row: dict, now: float, *, detail: bool = False) -> dict:
    doc = row["doc"]
    graph = app.graph(row["template_hash"], current_inputs(row), builtins_for(doc))
    template = app.store.get_template(row["template_hash"]) if detail else None
    return execution_view(row, app.snapshot(row, now), now, detail=detail, template=template,
                          outputs=graph.outputs)


def get_execution_row(app: Emulator, req: Request) -> dict:
    row = app.store.get("executions", req.project_id, req.params["execution_id"])
    if row is None:
        raise ExecutionNotFound(f"no execution {req.params['execution_id']} in project "
                                f"{req.project_id}")
    return row


def _workflow_of(app: Emulator, req: Request, body: dict) -> dict:
    workflow_id = body.get("workflow_id")
    if not isinstance(workflow_id, str) or not workflow_id:
        raise MissingField("workflow_id is required")
    return get_workflow_row(app, req.project_id, workflow_id)


def _priority(body: dict) -> int:
    return check_integer(body.get("priority", 0), "priority", 0, 999)
