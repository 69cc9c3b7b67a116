"""Monitoring (emulator-defined paths): ``GET .../resource-usage?state=finished|running
&show_datapoints=true|false`` for GCS executions and Cromwell runs."""

from __future__ import annotations

from gcsapply.emulator.app import Emulator
from gcsapply.emulator.cromwell import cromwell_snapshot
from gcsapply.emulator.errors import CromwellNotFound
from gcsapply.emulator.handlers_executions import get_execution_row
from gcsapply.emulator.lifecycle import RUNNING
from gcsapply.emulator.monitoring import JobUsage, usage_report
from gcsapply.emulator.rules import choice_arg, parse_bool_arg
from gcsapply.emulator.wire import Request, Response
from gcsapply.template.graph import DEFAULT_CPU, DEFAULT_MEMORY_GB

STATES = ("finished", "running")


def get_resource_usage(app: Emulator, req: Request) -> Response:
    running, show = _query(req)
    row = get_execution_row(app, req)
    now = app.clock.now()
    jobs = []
    for state in app.snapshot(row, now).steps.values():
        cpu = state.plan.cpu if state.plan.cpu is not None else DEFAULT_CPU
        memory = state.plan.memory_gb if state.plan.memory_gb is not None else DEFAULT_MEMORY_GB
        for job in state.jobs:
            if running and job.status == RUNNING:
                jobs.append(JobUsage(job.name, cpu, memory, job.started, now, True))
            elif not running and job.history:
                start, end, _ = job.history[-1]
                jobs.append(JobUsage(job.name, cpu, memory, start, end, False))
    return Response.json(200, usage_report(jobs, show_datapoints=show))


def get_cromwell_resource_usage(app: Emulator, req: Request) -> Response:
    running, show = _query(req)
    row = app.store.get("cromwell", req.project_id, req.params["execution_id"])
    if row is None:
        raise CromwellNotFound(f"no Cromwell execution {req.params['execution_id']}")
    now = app.clock.now()
    jobs = []
    for call in cromwell_snapshot(row, now).calls:
        if call.start is None:
            continue
        if running and call.end is None:
            jobs.append(JobUsage(call.name, DEFAULT_CPU, DEFAULT_MEMORY_GB, call.start, now, True))
        elif not running and call.end is not None:
            jobs.append(JobUsage(call.name, DEFAULT_CPU, DEFAULT_MEMORY_GB, call.start, call.end,
                                 False))
    return Response.json(200, usage_report(jobs, show_datapoints=show))


def _query(req: Request) -> tuple[bool, bool]:
    state = choice_arg(req.arg("state"), "state", STATES, default="finished")
    return state == "running", parse_bool_arg(req.arg("show_datapoints"), "show_datapoints")
