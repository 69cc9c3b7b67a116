"""Cromwell (WDL) runs of a project, at the ``executions-extend`` shape (reference §2.7): submit
to a Cromwell environment of the project, the WDL given as an uploaded file, as text or an OBS
location in ``parameters.workflow_source``, or as a GCS workflow (``parameters.workflow_id``);
list with filters; stop from Submitted/Running; delete one, or many (each id answered apart).

What a run shows as the clock moves is ``cromwell_lifecycle``'s business.
"""

from __future__ import annotations

import io
import uuid
import zipfile

from gcsapply.emulator.backend.environments import find_environment
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.backend.workflows import get_workflow, workflow_content
from gcsapply.emulator.cromwell_lifecycle import ABORTABLE, cromwell_snapshot, read_wdl
from gcsapply.emulator.errors import (
    BadBody,
    BadEnvironment,
    BadField,
    CromwellNotFound,
    EmulatorError,
    MissingField,
    WrongState,
)
from gcsapply.emulator.wire import decode_json

TARGET = "cromwell"  # the one ``target`` a WDL execution has (BCE: "目前只支持 cromwell")
FILE_PARTS = ("workflow_source", "workflow_inputs", "workflow_options", "workflow_depends")
# parameters that, when given, are strings: OBS/HTTPS locations, WDL or JSON text, ids
TEXT_PARAMETERS = ("env_name", "workflow_id", *FILE_PARTS, "enterprise_project_id")
_FILTER_SQL = (("guid", "instr(id, ?) > 0"), ("name", "instr(name, ?) > 0"),
               ("workflow_name", "workflow_name = ?"),
               ("workflow_id", "json_extract(doc, '$.workflow_id') = ?"))


def submit_run(app: Emulator, project_id: str, params: dict, files: dict) -> str:
    """The id of a new run. ``params``: the submission's parameters (``env_name`` required);
    ``files``: uploaded parts by name (``FILE_PARTS``), each with ``.content`` and ``.filename``."""
    for key in TEXT_PARAMETERS:
        if params.get(key) is not None and not isinstance(params[key], str):
            raise (MissingField if key == "env_name" else BadField)(
                f"parameters.{key} must be a string, not {type(params[key]).__name__}")
    env_name = params.get("env_name")
    if not env_name:
        raise MissingField("parameters.env_name (the Cromwell environment's name) is required")
    env = find_environment(app, project_id, env_name)
    if env is None or env["source"] != "cromwell":
        raise BadEnvironment(f"{env_name!r} is not a Cromwell environment of this project")
    source, source_name, workflow_id = _wdl_source(app, project_id, params, files)
    inputs = json_object(files.get("workflow_inputs") or params.get("workflow_inputs"), "inputs")
    options = json_object(files.get("workflow_options") or params.get("workflow_options"), "options")
    depends = _dependencies(files.get("workflow_depends"), params.get("workflow_depends"))
    wdl = read_wdl(source, source_name)
    now = app.clock.now()
    run_id = str(uuid.uuid4())
    doc = {**wdl, "wdl_name": source_name, "workflow_id": workflow_id, "env_guid": env["id"],
           "env_name": env_name, "inputs": inputs, "options": options, "depends": depends,
           "has_dependencies": bool(depends),
           "job_seconds": float(app.settings.job_seconds),
           "pending_seconds": min(1.0, float(app.settings.job_seconds)),
           "domain_id": app.credentials.domain_id,
           "enterprise_project_id": params.get("enterprise_project_id") or "0"}
    app.store.insert("cromwell", {"id": run_id, "project_id": project_id,
                                  "name": f"{wdl['workflow_name'].lower().replace('_', '-')}-{run_id[:8]}",
                                  "workflow_name": wdl["workflow_name"], "created_at": now,
                                  "aborted_at": None, "doc": doc})
    return run_id


def stop_run(app: Emulator, project_id: str, run_id: str) -> tuple[dict, str]:
    """``(row, status right after)``; WrongState unless the run is Submitted or Running."""
    with app.store.transaction():
        row = get_run(app, project_id, run_id)
        now = app.clock.now()
        status = cromwell_snapshot(row, now).status
        if status not in ABORTABLE:
            raise WrongState(f"cannot stop Cromwell execution {row['id']} in status {status}; "
                             "stop is allowed from Submitted, Running")
        app.store.update("cromwell", "id", row["id"], {"aborted_at": now})
        row["aborted_at"] = now
    return row, cromwell_snapshot(row, now).status


def delete_run(app: Emulator, project_id: str, run_id: str) -> None:
    app.store.delete("cromwell", get_run(app, project_id, run_id)["id"])


def delete_runs(app: Emulator, project_id: str, ids: list[str]) -> list[tuple[str, EmulatorError | None]]:
    """Batch delete: each id (duplicates once, in the order given) with None when it was
    deleted, or the error that kept it (an id of no run of the project). The emulator keeps no
    run data, so ``clean_data`` changes nothing here."""
    results = []
    with app.store.transaction():
        for run_id in dict.fromkeys(ids):
            if app.store.get("cromwell", project_id, run_id) is None:
                results.append((run_id, CromwellNotFound(f"no Cromwell execution {run_id}")))
                continue
            app.store.delete("cromwell", run_id)
            results.append((run_id, None))
    return results


def list_runs(app: Emulator, project_id: str, now: float, *, filters: dict[str, str | None],
              start: int, limit: int | None) -> tuple[list[dict], int]:
    """``(the page of runs, total)``, newest first. ``filters``: ``guid`` and ``name`` match
    a part, ``workflow_name``, ``workflow_id`` and ``target`` the whole value, ``status`` what
    a run shows at ``now``; an empty filter is none."""
    if filters.get("target") and filters["target"] != TARGET:
        return [], 0
    sql, args = "SELECT * FROM cromwell WHERE project_id = ?", [project_id]
    for key, test in _FILTER_SQL:
        if filters.get(key):
            sql, args = f"{sql} AND {test}", args + [filters[key]]
    rows = app.store.rows(sql + " ORDER BY created_at DESC, seq DESC", args)
    if filters.get("status"):
        rows = [r for r in rows if cromwell_snapshot(r, now).status == filters["status"]]
    shown = rows[start:] if limit is None else rows[start:start + limit]
    return shown, len(rows)


def get_run(app: Emulator, project_id: str, run_id: str) -> dict:
    """A Cromwell run of the project; CromwellNotFound otherwise."""
    row = app.store.get("cromwell", project_id, run_id)
    if row is None:
        raise CromwellNotFound(f"no Cromwell execution {run_id}")
    return row


def json_object(value, what: str) -> dict:
    """A JSON object given as text or as an uploaded part; an OBS/HTTPS location becomes
    ``{"location": url}``; nothing gives ``{}``. Text is read like every JSON body
    (``wire.decode_json``)."""
    if value is None or value == "":
        return {}
    data = value.content if hasattr(value, "content") else value
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "://" in text and not text.lstrip().startswith("{"):
        return {"location": text.strip()}
    if not text.strip():
        return {}
    parsed = decode_json(data, f"workflow {what}")
    if not isinstance(parsed, dict):
        raise BadBody(f"workflow {what} must be a JSON object")
    return parsed


def _dependencies(part, location: str | None) -> dict:
    """What the run depends on: the uploaded zip's file names, or the OBS location given."""
    if part is None:
        return {"location": location} if location else {}
    try:
        with zipfile.ZipFile(io.BytesIO(part.content)) as archive:
            names = sorted(info.filename for info in archive.infolist() if not info.is_dir())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise BadField(f"the 'workflow_depends' part ({part.filename or 'no file name'}) is not a "
                       "zip archive") from None
    return {"filename": part.filename or "", "files": names}


def _wdl_source(app: Emulator, project_id: str, params: dict, files: dict) -> tuple[str, str, str]:
    """(WDL text, its name, GCS workflow id or "")."""
    if "workflow_source" in files:
        part = files["workflow_source"]
        return part.text, part.filename or "workflow.wdl", ""
    if params.get("workflow_id"):
        workflow = get_workflow(app, project_id, params["workflow_id"])
        return workflow_content(app, workflow).decode("utf-8", "replace"), workflow["name"], workflow["id"]
    source = params.get("workflow_source")
    if source:
        if "://" in source:  # an OBS object: its content is not available to the emulator
            return "", source.rstrip("/").rsplit("/", 1)[-1] or "workflow.wdl", ""
        return source, "workflow.wdl", ""
    raise MissingField("give the WDL as the 'workflow_source' part, parameters.workflow_source "
                       "or parameters.workflow_id")
