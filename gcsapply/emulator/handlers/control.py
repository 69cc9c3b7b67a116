"""The control API apart from the emulated one (``/_emulator/*``) and the IAM token endpoint."""

from __future__ import annotations

import time

from gcsapply.emulator.backend import control, iam
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.wire import Request, Response, iso


def issue_token(app: Emulator, req: Request) -> Response:
    token, body = iam.issue_token(app, req.json())
    return Response.json(201, body, headers={"X-Subject-Token": token})


def reset(app: Emulator, req: Request) -> Response:
    app.reset()
    return Response.json(200, {"reset": True})


def put_faults(app: Emulator, req: Request) -> Response:
    return Response.json(200, vars(app.configure(req.json())))


def get_faults(app: Emulator, req: Request) -> Response:
    return Response.json(200, vars(app.settings))


def get_stats(app: Emulator, req: Request) -> Response:
    return Response.json(200, app.stats())


def delete_stats(app: Emulator, req: Request) -> Response:
    app.reset_stats()
    return Response.empty(204)


def get_clock(app: Emulator, req: Request) -> Response:
    now = app.clock.now()
    return Response.json(200, {"now": now, "iso": iso(now)})


def advance_clock(app: Emulator, req: Request) -> Response:
    control.advance_clock(app, req.json().get("advance_s"))
    return get_clock(app, req)


def seed(app: Emulator, req: Request) -> Response:
    """Bulk-load workflows and runs for benchmarks (see ``backend.control.seed``)."""
    started = time.perf_counter()
    project_id, workflow_ids, count = control.seed(app, req.json())
    return Response.json(201, {"project_id": project_id, "workflows": workflow_ids,
                               "executions": count,
                               "seconds": round(time.perf_counter() - started, 3)})
