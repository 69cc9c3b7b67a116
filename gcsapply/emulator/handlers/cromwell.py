"""Cromwell (WDL) executions at ``/v1/{project_id}/executions-extend``: the shape Huawei documents
for the WDL executions of its batch-computing service, whose parameters are exactly the GCS
SDK's (reference §2.7; GCS publishes no paths of its own, so this is inferred for GCS).

* ``POST``   ``.../executions-extend`` -- multipart/form-data: ``parameters`` (a JSON object as
  text, ``env_name`` required) and optional file parts ``workflow_source``, ``workflow_inputs``,
  ``workflow_options``, ``workflow_depends`` (a zip); 201 ``{id, message, status}``.
* ``GET``    ``.../executions-extend`` -- filters ``guid``, ``name`` (parts), ``workflow_name``,
  ``workflow_id``, ``target``, ``status``; ``offset`` + ``limit``; 200 ``{executions, total_num}``.
* ``GET``/``DELETE`` ``.../executions-extend/{id}`` -- 200 the run / 204.
* ``DELETE`` ``.../executions-extend`` -- JSON ``{clean_data, execution_ids}``; 200
  ``{executions: [{id, error}]}``, one entry per id (``error`` null when it was deleted).
* ``POST``   ``.../executions-extend/{id}/stop`` -- 200 ``{id, message, status}``.

The ``{project_id}`` in the path must be the caller's (``X-Project-Id`` with AK/SK, the
token's project with a token): anything else is a 403 and touches nothing.
"""

from __future__ import annotations

from gcsapply.emulator.backend import cromwell
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.cromwell_lifecycle import STATUSES
from gcsapply.emulator.errors import BadField, MissingField, ProjectMismatch
from gcsapply.emulator.rules import choice_arg, parse_paging
from gcsapply.emulator.views import cromwell_deleted_view, cromwell_view
from gcsapply.emulator.wire import Request, Response, decode_json_object

FILTERS = ("guid", "name", "workflow_name", "workflow_id", "target")


def submit_execution(app: Emulator, req: Request) -> Response:
    project_id = _project(req)
    parts = req.parts()
    if "parameters" not in parts:
        raise MissingField("the 'parameters' part (a JSON object with env_name) is required")
    params = decode_json_object(parts["parameters"].content, "the 'parameters' part")
    files = {name: parts[name] for name in cromwell.FILE_PARTS if name in parts}
    run_id = cromwell.submit_run(app, project_id, params, files)
    return Response.json(201, {"id": run_id, "message": "the workflow was submitted to Cromwell",
                               "status": "Submitted"})


def list_executions(app: Emulator, req: Request) -> Response:
    project_id = _project(req)
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    filters = {key: req.arg(key) for key in FILTERS}
    filters["status"] = choice_arg(req.arg("status"), "status", STATUSES)
    now = app.clock.now()
    rows, total = cromwell.list_runs(app, project_id, now, filters=filters, start=start, limit=limit)
    return Response.json(200, {"executions": [cromwell_view(r, now) for r in rows], "total_num": total})


def get_execution(app: Emulator, req: Request) -> Response:
    row = cromwell.get_run(app, _project(req), req.params["execution_id"])
    return Response.json(200, cromwell_view(row, app.clock.now()))


def stop_execution(app: Emulator, req: Request) -> Response:
    row, status = cromwell.stop_run(app, _project(req), req.params["execution_id"])
    return Response.json(200, {"id": row["id"], "message": "stop requested", "status": status})


def delete_execution(app: Emulator, req: Request) -> Response:
    cromwell.delete_run(app, _project(req), req.params["execution_id"])
    return Response.empty(204)


def delete_executions(app: Emulator, req: Request) -> Response:
    project_id = _project(req)
    body = req.json()
    ids = body.get("execution_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise MissingField("execution_ids must be a non-empty array of execution ids")
    if not isinstance(body.get("clean_data", False), bool):
        raise BadField("clean_data must be true or false")
    return Response.json(200, cromwell_deleted_view(cromwell.delete_runs(app, project_id, ids)))


def _project(req: Request) -> str:
    """The path's project, which must be the caller's."""
    project_id = req.params["project_id"]
    if project_id != req.project_id:
        raise ProjectMismatch(f"{project_id!r} is not the project of these credentials")
    return project_id
