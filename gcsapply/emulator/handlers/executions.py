"""Executions X1-X9: create (single and batch), list, get, inputs, outputs, events, operate, delete."""

from __future__ import annotations

from gcsapply.emulator.backend import executions
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.events import render_events
from gcsapply.emulator.lifecycle import ALL_STATUSES
from gcsapply.emulator.rules import check_project_arg, choice_arg, parse_paging
from gcsapply.emulator.views import execution_view, inputs_view, outputs_view
from gcsapply.emulator.wire import Request, Response

LIST_STATUSES = ALL_STATUSES + ("Deleting",)
LIST_FILTERS = ("name", "workflow_name", "batch_name")


def create_execution(app: Emulator, req: Request) -> Response:
    return Response.json(201, {"id": executions.create_execution(app, req.project_id, req.json())})


def create_executions_batch(app: Emulator, req: Request) -> Response:
    ids = executions.create_executions_batch(app, req.project_id, req.json())
    return Response.json(201, {"ids": ids})


def delete_execution(app: Emulator, req: Request) -> Response:
    executions.delete_execution(app, req.project_id, req.params["execution_id"])
    return Response.empty(204)


def operate_execution(app: Emulator, req: Request) -> Response:
    run_id = executions.operate_execution(app, req.project_id, req.params["execution_id"], req.json())
    return Response.json(200, {"id": run_id})


def list_executions(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    check_project_arg(req.arg("project_id"), req.project_id)
    status = choice_arg(req.arg("status"), "status", LIST_STATUSES)
    sort = choice_arg(req.arg("priority_sort"), "priority_sort", ("asc", "desc"))
    now = app.clock.now()
    runs, total = executions.list_executions(
        app, req.project_id, now, status=status, sort=sort,
        filters={name: req.arg(name) for name in LIST_FILTERS}, start=start, limit=limit)
    return Response.json(200, {"executions": [execution_view(run, now) for run in runs],
                               "total_num": total})


def get_execution(app: Emulator, req: Request) -> Response:
    row = executions.get_execution(app, req.project_id, req.params["execution_id"])
    now = app.clock.now()
    return Response.json(200, execution_view(executions.show_execution(app, row, now, detail=True),
                                             now, detail=True))


def get_execution_inputs(app: Emulator, req: Request) -> Response:
    row = executions.get_execution(app, req.project_id, req.params["execution_id"])
    graph = executions.execution_graph(app, row)
    return Response.json(200, inputs_view(executions.execution_template(app, row), graph, row["doc"]))


def get_execution_outputs(app: Emulator, req: Request) -> Response:
    row = executions.get_execution(app, req.project_id, req.params["execution_id"])
    return Response.json(200, outputs_view(executions.execution_graph(app, row)))


def get_execution_events(app: Emulator, req: Request) -> Response:
    row = executions.get_execution(app, req.project_id, req.params["execution_id"])
    snap = executions.execution_snapshot(app, row)
    return Response.json(200, render_events(snap.events, row["name"], row["doc"].get("namespace", "")))
