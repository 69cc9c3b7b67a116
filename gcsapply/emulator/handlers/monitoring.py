"""Monitoring (emulator-defined paths): ``GET .../resource-usage?state=finished|running
&show_datapoints=true|false`` for GCS executions and Cromwell runs."""

from __future__ import annotations

from gcsapply.emulator.backend import cromwell, executions, monitoring
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.rules import choice_arg, parse_bool_arg
from gcsapply.emulator.usage import usage_report
from gcsapply.emulator.wire import Request, Response

STATES = ("finished", "running")


def get_resource_usage(app: Emulator, req: Request) -> Response:
    running, show = _query(req)
    row = executions.get_execution(app, req.project_id, req.params["execution_id"])
    jobs = monitoring.execution_usage(app, row, app.clock.now(), running=running)
    return Response.json(200, usage_report(jobs, show_datapoints=show))


def get_cromwell_resource_usage(app: Emulator, req: Request) -> Response:
    running, show = _query(req)
    row = cromwell.get_run(app, req.project_id, req.params["execution_id"])
    jobs = monitoring.cromwell_usage(row, app.clock.now(), running=running)
    return Response.json(200, usage_report(jobs, show_datapoints=show))


def _query(req: Request) -> tuple[bool, bool]:
    """``(running, show_datapoints)`` from the query."""
    state = choice_arg(req.arg("state"), "state", STATES, default="finished")
    return state == "running", parse_bool_arg(req.arg("show_datapoints"), "show_datapoints")
