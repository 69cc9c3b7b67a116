"""Cromwell executions at emulator-defined paths (GCS does not publish its Cromwell REST API).

Submit: ``POST /v1/cromwell/executions`` as multipart/form-data with parts ``parameters`` (a JSON
string, ``env_name`` required), ``workflow_source`` (the WDL), ``workflow_inputs``,
``workflow_options``, ``workflow_dependencies`` (a zip) -- or as JSON ``{"parameters": {...}}``
naming ``workflow_id`` (a WDL workflow stored in GCS) or ``workflow_source``.
"""

from __future__ import annotations

import json
import uuid

from gcsapply.emulator.app import Emulator
from gcsapply.emulator.cromwell import ABORTABLE, STATUSES, cromwell_snapshot, read_wdl
from gcsapply.emulator.errors import BadBody, BadEnvironment, CromwellNotFound, MissingField, WrongState
from gcsapply.emulator.handlers_environments import find_environment
from gcsapply.emulator.handlers_workflows import get_workflow_row
from gcsapply.emulator.rules import choice_arg, iso, parse_paging
from gcsapply.emulator.wire import Request, Response

_PART_ALIASES = {"workflow_source": "workflowSource", "workflow_inputs": "workflowInputs",
                 "workflow_options": "workflowOptions",
                 "workflow_dependencies": "workflowDependencies"}


def submit_execution(app: Emulator, req: Request) -> Response:
    params, files = _submission(req)
    env_name = params.get("env_name")
    if not isinstance(env_name, str) or not env_name:
        raise MissingField("parameters.env_name (the Cromwell environment's name) is required")
    env = find_environment(app, req.project_id, env_name)
    if env is None or env["source"] != "cromwell":
        raise BadEnvironment(f"{env_name!r} is not a Cromwell environment of this project")
    source, source_name, workflow_id = _wdl_source(app, req, params, files)
    inputs = _json_text(files.get("workflow_inputs") or params.get("workflow_inputs"), "inputs")
    options = _json_text(files.get("workflow_options") or params.get("workflow_options"), "options")
    wdl = read_wdl(source, source_name)
    now = app.clock.now()
    run_id = str(uuid.uuid4())
    doc = {**wdl, "wdl_name": source_name, "workflow_id": workflow_id, "env_guid": env["id"],
           "env_name": env_name, "inputs": inputs, "options": options,
           "has_dependencies": "workflow_dependencies" in files or bool(params.get("workflow_depends")),
           "job_seconds": float(app.settings.job_seconds),
           "pending_seconds": min(1.0, float(app.settings.job_seconds)),
           "domain_id": app.credentials.domain_id,
           "enterprise_project_id": str(params.get("enterprise_project_id") or "0")}
    app.store.insert("cromwell", {"id": run_id, "project_id": req.project_id,
                                  "name": f"{wdl['workflow_name'].lower().replace('_', '-')}-{run_id[:8]}",
                                  "workflow_name": wdl["workflow_name"], "created_at": now,
                                  "aborted_at": None, "doc": doc})
    return Response.json(201, {"id": run_id, "status": "Submitted",
                               "message": "the workflow was submitted to Cromwell"})


def get_execution(app: Emulator, req: Request) -> Response:
    return Response.json(200, cromwell_view(_get(app, req), app.clock.now()))


def list_executions(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    status = choice_arg(req.arg("status"), "status", STATUSES)
    sql, args = "SELECT * FROM cromwell WHERE project_id = ?", [req.project_id]
    if req.arg("name"):
        sql, args = sql + " AND instr(name, ?) > 0", args + [req.arg("name")]
    if req.arg("workflow_name"):
        sql, args = sql + " AND workflow_name = ?", args + [req.arg("workflow_name")]
    now = app.clock.now()
    views = [cromwell_view(r, now) for r in
             app.store.rows(sql + " ORDER BY created_at DESC, seq DESC", args)]
    if status:
        views = [v for v in views if v["execution"]["status"] == status]
    shown = views[start:] if limit is None else views[start:start + limit]
    return Response.json(200, {"executions": shown, "total_num": len(views)})


def abort_execution(app: Emulator, req: Request) -> Response:
    with app.store.transaction():
        row = _get(app, req)
        now = app.clock.now()
        status = cromwell_snapshot(row, now).status
        if status not in ABORTABLE:
            raise WrongState(f"cannot abort Cromwell execution {row['id']} in status {status}; "
                             "abort is allowed from Submitted, Running")
        app.store.update("cromwell", "id", row["id"], {"aborted_at": now})
        row["aborted_at"] = now
    return Response.json(200, {"id": row["id"], "status": cromwell_snapshot(row, now).status,
                               "message": "abort requested"})


def delete_execution(app: Emulator, req: Request) -> Response:
    app.store.delete("cromwell", _get(app, req)["id"])
    return Response.empty(204)


def delete_executions(app: Emulator, req: Request) -> Response:
    ids = req.json().get("execution_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise MissingField("execution_ids must be a non-empty array of ids")
    with app.store.transaction():
        missing = [i for i in ids if app.store.get("cromwell", req.project_id, i) is None]
        if missing:
            raise CromwellNotFound(f"no Cromwell execution(s) {', '.join(missing)}; none deleted")
        for run_id in ids:
            app.store.delete("cromwell", run_id)
    return Response.empty(204)


def cromwell_view(row: dict, now: float) -> dict:
    doc = row["doc"]
    snap = cromwell_snapshot(row, now)
    done = [c for c in snap.calls if c.status in ("Done", "Failed")]
    duration = int(round((snap.finished_at or now) - snap.started_at)) if snap.started_at else 0
    task_status = {"node_number": len(snap.calls), "finished_node_number": len(done),
                   "actual_node_status": {c.name: {
                       "name": c.name, "status": c.status, "sub_job_num": 1,
                       "finished_sub_job_num": int(c.status == "Done"),
                       "sub_job_status": {c.name: c.status},
                       "time_duration": int(round((c.end or now) - c.start)) if c.start else 0,
                       "resources": {"CPU": 0, "GPU": 0, "Memory": 0}} for c in snap.calls}}
    metadata = {"id": row["id"], "workflowName": row["workflow_name"], "status": snap.status,
                "submission": iso(row["created_at"]), "start": iso(snap.started_at),
                "end": iso(snap.finished_at), "inputs": doc.get("inputs") or {}, "outputs": {},
                "calls": {f"{row['workflow_name']}.{c.name}": [{"executionStatus": c.status,
                                                                "start": iso(c.start),
                                                                "end": iso(c.end)}]
                          for c in snap.calls}}
    return {
        "execution": {
            "guid": row["id"], "name": row["name"], "namespace": "", "project_id": row["project_id"],
            "domain_id": doc.get("domain_id", ""), "status": snap.status,
            "workflow_name": row["workflow_name"], "wdl_name": doc.get("wdl_name", ""),
            "workflow_id": doc.get("workflow_id") or "",
            "inputs_json": json.dumps(doc.get("inputs") or {}, sort_keys=True), "outputs_json": "{}",
            "image": "", "time_duration": duration, "target": "cce",
            "create_at": iso(row["created_at"]), "update_at": iso(snap.finished_at or snap.started_at
                                                                  or row["created_at"]),
            "task_status": task_status, "engine_deployment": f"cromwell-{doc['env_name']}",
            "env_guid": doc.get("env_guid", ""), "node_number": len(snap.calls),
            "metadata_json": json.dumps(metadata, sort_keys=True), "resources": {},
            "tae_resources": {}},
        "metadata": metadata,
        "status": task_status,
        "enterprise_project": {"id": doc.get("enterprise_project_id", "0"), "name": "default"},
    }


def _submission(req: Request) -> tuple[dict, dict[str, bytes]]:
    if req.is_multipart():
        parts = req.parts()
        files = {}
        for name, alias in _PART_ALIASES.items():
            part = parts.get(name) or parts.get(alias)
            if part is not None:
                files[name] = part
        params = _json_text(parts["parameters"].text if "parameters" in parts else "{}",
                            "parameters")
        return params, files
    body = req.json()
    params = body.get("parameters") if isinstance(body.get("parameters"), dict) else body
    return params, {}


def _wdl_source(app: Emulator, req: Request, params: dict, files: dict) -> tuple[str, str, str]:
    """(WDL text, its name, GCS workflow id or "")."""
    if "workflow_source" in files:
        part = files["workflow_source"]
        return part.text, part.filename or "workflow.wdl", ""
    if params.get("workflow_id"):
        workflow = get_workflow_row(app, req.project_id, str(params["workflow_id"]))
        text = (app.store.get_template(workflow["template_hash"]) or b"").decode("utf-8", "replace")
        return text, workflow["name"], workflow["id"]
    source = params.get("workflow_source")
    if isinstance(source, str) and source:
        if "://" in source:  # an OBS object: its content is not available to the emulator
            return "", source.rstrip("/").rsplit("/", 1)[-1] or "workflow.wdl", ""
        return source, "workflow.wdl", ""
    raise MissingField("give the WDL as the 'workflow_source' part, parameters.workflow_source "
                       "or parameters.workflow_id")


def _json_text(value, what: str) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    text = value.text if hasattr(value, "text") else str(value)
    if "://" in text and not text.lstrip().startswith("{"):
        return {"location": text}
    try:
        parsed = json.loads(text) if text.strip() else {}
    except (ValueError, RecursionError):
        raise BadBody(f"workflow {what} must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise BadBody(f"workflow {what} must be a JSON object")
    return parsed


def _get(app: Emulator, req: Request) -> dict:
    row = app.store.get("cromwell", req.project_id, req.params["execution_id"])
    if row is None:
        raise CromwellNotFound(f"no Cromwell execution {req.params['execution_id']}")
    return row
