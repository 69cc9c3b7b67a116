"""Environments E1-E4: thin handlers over the store."""

from __future__ import annotations

import uuid

from gcsapply.emulator.app import Emulator
from gcsapply.emulator.errors import BadEnvironmentId, BadField, EnvironmentExists, EnvironmentNotFound
from gcsapply.emulator.rules import check_name, check_strings, choice_arg, iso, page, parse_bool_arg, parse_paging
from gcsapply.emulator.wire import Request, Response

SOURCES = ("cci", "cce")
STRING_FIELDS = ("project_id", "source", "cluster_id", "cluster_name", "bucket_name", "ak", "sk",
                 "enterprise_project_id")


def deploy_environment(app: Emulator, req: Request) -> Response:
    body = req.json()
    name = check_name(body.get("env_name"), "env_name", 64)
    check_strings(body, STRING_FIELDS)
    source = body.get("source")
    if source not in SOURCES:
        raise BadField(f"source must be one of {', '.join(SOURCES)}")
    if source == "cce" and not body.get("bucket_name"):
        raise BadField("bucket_name is required when source is cce")
    default_env = parse_bool_arg(str(body.get("default_env", "false")), "default_env")
    if find_environment(app, req.project_id, name) is not None:
        raise EnvironmentExists(f"an environment named {name!r} already exists")
    now = app.clock.now()
    env_id = str(uuid.uuid4())
    doc = {"description": "", "cluster_id": body.get("cluster_id") or str(uuid.uuid4()),
           "cluster_name": body.get("cluster_name") or name, "stack_id": "",
           "is_gene_cluster": source == "cce" and not body.get("cluster_id"),
           "bucket_name": body.get("bucket_name") or "", "order_id": "", "cpu": 32, "memory": 128,
           "domain_id": app.credentials.domain_id, "cluster_info": "" if source == "cci" else "{}",
           "ready_at": now + app.settings.job_seconds}
    with app.store.transaction():
        if default_env:
            app.store.execute("UPDATE environments SET default_env = 0 WHERE project_id = ?",
                              (req.project_id,))
        app.store.insert("environments", {"id": env_id, "project_id": req.project_id, "name": name,
                                          "source": source, "default_env": int(default_env),
                                          "created_at": now, "updated_at": now, "doc": doc})
    return Response.json(201, {"id": env_id})


def delete_environment(app: Emulator, req: Request) -> Response:
    env = _get(app, req)
    parse_bool_arg(req.arg("delete_cluster"), "delete_cluster")
    with app.store.transaction():
        app.store.delete("environments", env["id"])
        if env["default_env"]:
            app.store.execute(
                "UPDATE environments SET default_env = 1 WHERE id = (SELECT id FROM environments "
                "WHERE project_id = ? ORDER BY created_at DESC, seq DESC LIMIT 1)", (req.project_id,))
    return Response.empty(204)


def list_environments(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    source = choice_arg(req.arg("source"), "source", SOURCES)
    sql, args = "SELECT * FROM environments WHERE project_id = ?", [req.project_id]
    if source:
        sql, args = sql + " AND source = ?", args + [source]
    rows = app.store.rows(sql + " ORDER BY seq", args)
    now = app.clock.now()
    return Response.json(200, {"environments": [environment_view(r, now) for r in
                                                page(rows, start, limit)]})


def get_environment(app: Emulator, req: Request) -> Response:
    return Response.json(200, environment_view(_get(app, req), app.clock.now()))


def find_environment(app: Emulator, project_id: str, name: str) -> dict | None:
    return app.store.row("SELECT * FROM environments WHERE project_id = ? AND name = ?",
                         (project_id, name))


def environment_view(row: dict, now: float) -> dict:
    doc = row["doc"]
    view = {
        "guid": row["id"], "project_id": row["project_id"], "domain_id": doc.get("domain_id", ""),
        "name": row["name"], "description": doc.get("description", ""),
        "status": "Running" if now >= doc.get("ready_at", 0) else "Creating",
        "create_at": iso(row["created_at"]), "update_at": iso(row["updated_at"]),
        "cluster_id": doc.get("cluster_id", ""), "cluster_name": doc.get("cluster_name", ""),
        "cpu": doc.get("cpu", 0), "memory": doc.get("memory", 0), "source": row["source"],
        "stack_id": doc.get("stack_id", ""), "is_gene_cluster": doc.get("is_gene_cluster", False),
        "bucket_name": doc.get("bucket_name", ""), "default_env": bool(row["default_env"]),
        "order_id": doc.get("order_id", ""), "enterprise_project": {"id": "0", "name": "default"},
    }
    if row["source"] != "cci":
        view["cluster_info"] = doc.get("cluster_info", "")
    return view


def _get(app: Emulator, req: Request) -> dict:
    env_id = req.params["environment_id"]
    if not env_id or len(env_id) > 64:
        raise BadEnvironmentId(f"{env_id!r}")
    env = app.store.get("environments", req.project_id, env_id)
    if env is None:
        raise EnvironmentNotFound(f"no environment {env_id} in project {req.project_id}")
    return env
