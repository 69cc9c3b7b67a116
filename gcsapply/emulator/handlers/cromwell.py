"""Cromwell executions at emulator-defined paths (GCS does not publish its Cromwell REST API).

Submit: ``POST /v1/cromwell/executions`` as multipart/form-data with parts ``parameters`` (a JSON
string, ``env_name`` required), ``workflow_source`` (the WDL), ``workflow_inputs``,
``workflow_options``, ``workflow_dependencies`` (a zip) -- or as JSON ``{"parameters": {...}}``
naming ``workflow_id`` (a WDL workflow stored in GCS) or ``workflow_source``.
"""

from __future__ import annotations

from gcsapply.emulator.backend import cromwell
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.cromwell_lifecycle import STATUSES
from gcsapply.emulator.rules import choice_arg, parse_paging
from gcsapply.emulator.views import cromwell_view
from gcsapply.emulator.wire import Part, Request, Response

# canonical part name -> the camel-case alias Cromwell's own API uses
PART_ALIASES = {"workflow_source": "workflowSource", "workflow_inputs": "workflowInputs",
                "workflow_options": "workflowOptions", "workflow_dependencies": "workflowDependencies"}


def submit_execution(app: Emulator, req: Request) -> Response:
    params, files = _submission(req)
    run_id = cromwell.submit_run(app, req.project_id, params, files)
    return Response.json(201, {"id": run_id, "status": "Submitted",
                               "message": "the workflow was submitted to Cromwell"})


def get_execution(app: Emulator, req: Request) -> Response:
    row = cromwell.get_run(app, req.project_id, req.params["execution_id"])
    return Response.json(200, cromwell_view(row, app.clock.now()))


def list_executions(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    status = choice_arg(req.arg("status"), "status", STATUSES)
    now = app.clock.now()
    rows, total = cromwell.list_runs(app, req.project_id, now, status=status, name=req.arg("name"),
                                     workflow_name=req.arg("workflow_name"), start=start,
                                     limit=limit)
    return Response.json(200, {"executions": [cromwell_view(r, now) for r in rows],
                               "total_num": total})


def abort_execution(app: Emulator, req: Request) -> Response:
    row, status = cromwell.abort_run(app, req.project_id, req.params["execution_id"])
    return Response.json(200, {"id": row["id"], "status": status, "message": "abort requested"})


def delete_execution(app: Emulator, req: Request) -> Response:
    cromwell.delete_run(app, req.project_id, req.params["execution_id"])
    return Response.empty(204)


def delete_executions(app: Emulator, req: Request) -> Response:
    cromwell.delete_runs(app, req.project_id, req.json().get("execution_ids"))
    return Response.empty(204)


def _submission(req: Request) -> tuple[dict, dict[str, Part]]:
    """``(parameters, uploaded parts by canonical name)`` of a multipart or JSON submission."""
    if req.is_multipart():
        parts = req.parts()
        files = {}
        for name, alias in PART_ALIASES.items():
            part = parts.get(name) or parts.get(alias)
            if part is not None:
                files[name] = part
        params = cromwell.json_object(parts.get("parameters"), "parameters")
        return params, files
    body = req.json()
    params = body.get("parameters") if isinstance(body.get("parameters"), dict) else body
    return params, {}
