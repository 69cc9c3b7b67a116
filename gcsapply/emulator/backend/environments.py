"""Environments E1-E4: unique names per project, one default environment, the default moving
to the newest remaining one when it is deleted."""

from __future__ import annotations

import uuid

from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import BadEnvironmentId, BadField, EnvironmentExists, EnvironmentNotFound
from gcsapply.emulator.rules import check_name, check_strings, page, parse_bool_arg

SOURCES = ("cci", "cce")
STRING_FIELDS = ("project_id", "source", "cluster_id", "cluster_name", "bucket_name", "ak", "sk",
                 "enterprise_project_id")


def deploy_environment(app: Emulator, project_id: str, body: dict) -> str:
    """E1: the id of the new environment (``Creating`` for ``job_seconds``, then ``Running``)."""
    name = check_name(body.get("env_name"), "env_name", 64)
    check_strings(body, STRING_FIELDS)
    source = body.get("source")
    if source not in SOURCES:
        raise BadField(f"source must be one of {', '.join(SOURCES)}")
    if source == "cce" and not body.get("bucket_name"):
        raise BadField("bucket_name is required when source is cce")
    default_env = parse_bool_arg(str(body.get("default_env", "false")), "default_env")
    if find_environment(app, project_id, name) is not None:
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
                              (project_id,))
        app.store.insert("environments", {"id": env_id, "project_id": project_id, "name": name,
                                          "source": source, "default_env": int(default_env),
                                          "created_at": now, "updated_at": now, "doc": doc})
    return env_id


def delete_environment(app: Emulator, project_id: str, env: dict) -> None:
    """E2: a deleted default environment passes the role to the newest remaining one."""
    with app.store.transaction():
        app.store.delete("environments", env["id"])
        if env["default_env"]:
            app.store.execute(
                "UPDATE environments SET default_env = 1 WHERE id = (SELECT id FROM environments "
                "WHERE project_id = ? ORDER BY created_at DESC, seq DESC LIMIT 1)", (project_id,))


def list_environments(app: Emulator, project_id: str, *, source: str, start: int,
                      limit: int | None) -> list[dict]:
    """E3: the page of the project's environments, oldest first; ``source`` "" means all."""
    sql, args = "SELECT * FROM environments WHERE project_id = ?", [project_id]
    if source:
        sql, args = sql + " AND source = ?", args + [source]
    return page(app.store.rows(sql + " ORDER BY seq", args), start, limit)


def get_environment(app: Emulator, project_id: str, env_id: str) -> dict:
    """E4: an environment of the project by id."""
    if not env_id or len(env_id) > 64:
        raise BadEnvironmentId(f"{env_id!r}")
    env = app.store.get("environments", project_id, env_id)
    if env is None:
        raise EnvironmentNotFound(f"no environment {env_id} in project {project_id}")
    return env


def find_environment(app: Emulator, project_id: str, name: str) -> dict | None:
    """The project's environment named ``name``, if any."""
    return app.store.row("SELECT * FROM environments WHERE project_id = ? AND name = ?",
                         (project_id, name))
