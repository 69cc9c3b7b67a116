"""Monitoring: which jobs (or Cromwell calls) a resource-usage report covers -- the running ones,
or the finished ones with their last attempt -- with the CPU and memory they requested."""

from __future__ import annotations

from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.cromwell_lifecycle import cromwell_snapshot
from gcsapply.emulator.lifecycle import RUNNING
from gcsapply.emulator.usage import JobUsage
from gcsapply.template.graph import DEFAULT_CPU, DEFAULT_MEMORY_GB


def execution_usage(app: Emulator, row: dict, now: float, *, running: bool) -> list[JobUsage]:
    """The jobs of a GCS run at ``now``: running ones, else finished ones."""
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
    return jobs


def cromwell_usage(row: dict, now: float, *, running: bool) -> list[JobUsage]:
    """The calls of a Cromwell run at ``now`` that started: running ones, else finished ones."""
    jobs = []
    for call in cromwell_snapshot(row, now).calls:
        if call.start is None:
            continue
        if running and call.end is None:
            jobs.append(JobUsage(call.name, DEFAULT_CPU, DEFAULT_MEMORY_GB, call.start, now, True))
        elif not running and call.end is not None:
            jobs.append(JobUsage(call.name, DEFAULT_CPU, DEFAULT_MEMORY_GB, call.start, call.end,
                                 False))
    return jobs
