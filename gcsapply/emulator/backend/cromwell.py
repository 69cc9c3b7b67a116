"""Cromwell runs (emulator-defined paths; GCS does not publish its Cromwell REST API): submit to a
Cromwell environment of the project, the WDL given as text, as an OBS location or as a GCS
workflow; abort from Submitted/Running; delete one or many (all or none).

What a run shows as the clock moves is ``cromwell_lifecycle``'s business.
"""

from __future__ import annotations

import uuid

from gcsapply.emulator.backend.environments import find_environment
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.backend.workflows import get_workflow, workflow_content
from gcsapply.emulator.cromwell_lifecycle import ABORTABLE, cromwell_snapshot, read_wdl
from gcsapply.emulator.errors import BadBody, BadEnvironment, CromwellNotFound, MissingField, WrongState
from gcsapply.emulator.wire import decode_json


def submit_run(app: Emulator, project_id: str, params: dict, files: dict) -> str:
    """The id of a new run. ``params``: the submission's parameters (``env_name`` required);
    ``files``: uploaded parts by canonical name (``workflow_source``, ``workflow_inputs``,
    ``workflow_options``, ``workflow_dependencies``), each with ``.text`` and ``.filename``."""
    env_name = params.get("env_name")
    if not isinstance(env_name, str) or not env_name:
        raise MissingField("parameters.env_name (the Cromwell environment's name) is required")
    env = find_environment(app, project_id, env_name)
    if env is None or env["source"] != "cromwell":
        raise BadEnvironment(f"{env_name!r} is not a Cromwell environment of this project")
    source, source_name, workflow_id = _wdl_source(app, project_id, params, files)
    inputs = json_object(files.get("workflow_inputs") or params.get("workflow_inputs"), "inputs")
    options = json_object(files.get("workflow_options") or params.get("workflow_options"), "options")
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
    app.store.insert("cromwell", {"id": run_id, "project_id": project_id,
                                  "name": f"{wdl['workflow_name'].lower().replace('_', '-')}-{run_id[:8]}",
                                  "workflow_name": wdl["workflow_name"], "created_at": now,
                                  "aborted_at": None, "doc": doc})
    return run_id


def abort_run(app: Emulator, project_id: str, run_id: str) -> tuple[dict, str]:
    """``(row, status right after)``; WrongState unless the run is Submitted or Running."""
    with app.store.transaction():
        row = get_run(app, project_id, run_id)
        now = app.clock.now()
        status = cromwell_snapshot(row, now).status
        if status not in ABORTABLE:
            raise WrongState(f"cannot abort Cromwell execution {row['id']} in status {status}; "
                             "abort is allowed from Submitted, Running")
        app.store.update("cromwell", "id", row["id"], {"aborted_at": now})
        row["aborted_at"] = now
    return row, cromwell_snapshot(row, now).status


def delete_run(app: Emulator, project_id: str, run_id: str) -> None:
    app.store.delete("cromwell", get_run(app, project_id, run_id)["id"])


def delete_runs(app: Emulator, project_id: str, ids) -> None:
    """Batch delete: every id must exist, else none is deleted."""
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise MissingField("execution_ids must be a non-empty array of ids")
    with app.store.transaction():
        missing = [i for i in ids if app.store.get("cromwell", project_id, i) is None]
        if missing:
            raise CromwellNotFound(f"no Cromwell execution(s) {', '.join(missing)}; none deleted")
        for run_id in ids:
            app.store.delete("cromwell", run_id)


def list_runs(app: Emulator, project_id: str, now: float, *, status: str, name: str | None,
              workflow_name: str | None, start: int, limit: int | None) -> tuple[list[dict], int]:
    """``(the page of runs, total)``, newest first; ``status`` is what they show at ``now``."""
    sql, args = "SELECT * FROM cromwell WHERE project_id = ?", [project_id]
    if name:
        sql, args = sql + " AND instr(name, ?) > 0", args + [name]
    if workflow_name:
        sql, args = sql + " AND workflow_name = ?", args + [workflow_name]
    rows = app.store.rows(sql + " ORDER BY created_at DESC, seq DESC", args)
    if status:
        rows = [r for r in rows if cromwell_snapshot(r, now).status == status]
    shown = rows[start:] if limit is None else rows[start:start + limit]
    return shown, len(rows)


def get_run(app: Emulator, project_id: str, run_id: str) -> dict:
    """A Cromwell run of the project; CromwellNotFound otherwise."""
    row = app.store.get("cromwell", project_id, run_id)
    if row is None:
        raise CromwellNotFound(f"no Cromwell execution {run_id}")
    return row


def json_object(value, what: str) -> dict:
    """A JSON object given as a dict, as text or as an uploaded part; an OBS URL becomes
    ``{"location": url}``; nothing gives ``{}``. Text is read like every JSON body
    (``wire.decode_json``)."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return value
    data = value.content if hasattr(value, "content") else str(value)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "://" in text and not text.lstrip().startswith("{"):
        return {"location": text}
    if not text.strip():
        return {}
    parsed = decode_json(data, f"workflow {what}")
    if not isinstance(parsed, dict):
        raise BadBody(f"workflow {what} must be a JSON object")
    return parsed


def _wdl_source(app: Emulator, project_id: str, params: dict, files: dict) -> tuple[str, str, str]:
    """(WDL text, its name, GCS workflow id or "")."""
    if "workflow_source" in files:
        part = files["workflow_source"]
        return part.text, part.filename or "workflow.wdl", ""
    if params.get("workflow_id"):
        workflow = get_workflow(app, project_id, str(params["workflow_id"]))
        return workflow_content(app, workflow).decode("utf-8", "replace"), workflow["name"], workflow["id"]
    source = params.get("workflow_source")
    if isinstance(source, str) and source:
        if "://" in source:  # an OBS object: its content is not available to the emulator
            return "", source.rstrip("/").rsplit("/", 1)[-1] or "workflow.wdl", ""
        return source, "workflow.wdl", ""
    raise MissingField("give the WDL as the 'workflow_source' part, parameters.workflow_source "
                       "or parameters.workflow_id")
