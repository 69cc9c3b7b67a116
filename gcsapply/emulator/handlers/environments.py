"""Environments E1-E4."""

from __future__ import annotations

from gcsapply.emulator.backend import environments
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.rules import choice_arg, parse_bool_arg, parse_paging
from gcsapply.emulator.views import environment_view
from gcsapply.emulator.wire import Request, Response


def deploy_environment(app: Emulator, req: Request) -> Response:
    return Response.json(201, {"id": environments.deploy_environment(app, req.project_id, req.json())})


def delete_environment(app: Emulator, req: Request) -> Response:
    env = environments.get_environment(app, req.project_id, req.params["environment_id"])
    parse_bool_arg(req.arg("delete_cluster"), "delete_cluster")
    environments.delete_environment(app, req.project_id, env)
    return Response.empty(204)


def list_environments(app: Emulator, req: Request) -> Response:
    start, limit = parse_paging(req.arg("offset"), req.arg("limit"))
    source = choice_arg(req.arg("source"), "source", environments.SOURCES)
    rows = environments.list_environments(app, req.project_id, source=source, start=start,
                                          limit=limit)
    now = app.clock.now()
    return Response.json(200, {"environments": [environment_view(r, now) for r in rows]})


def get_environment(app: Emulator, req: Request) -> Response:
    env = environments.get_environment(app, req.project_id, req.params["environment_id"])
    return Response.json(200, environment_view(env, app.clock.now()))
