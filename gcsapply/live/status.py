"""``status``: the stack's runs as GCS shows them now, from one executions listing.

Each managed run (current and superseded) gets its status, jobs done/total, start time and
duration (whole seconds, never negative, None when unknown: text and JSON show the same);
``usage`` adds peak CPU and memory from the monitoring calls, for at most
:data:`MAX_USAGE_RUNS` runs. :mod:`gcsapply.render.status` renders the rows as text and JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from gcsapply.client.api import execution_guid
from gcsapply.errors import ApiError
from gcsapply.live.model import ACTIVE, MISSING, jobs_progress, listed_execution
from gcsapply.state.file import State
from gcsapply.state.inventory import managed_runs

MAX_USAGE_RUNS = 50


@dataclass(frozen=True)
class RunStatus:
    address: str
    gcs_name: str
    gcs_id: str
    status: str  # the service's, or MISSING when the run is no longer listed
    jobs_done: int | None
    jobs_total: int | None
    started: str | None
    duration_s: int | None
    superseded: bool
    usage: dict | None = None


def collect_status(api, state: State, *, usage: bool = False) -> list[RunStatus]:
    runs = managed_runs(state)
    wanted = {run.gcs_id for run in runs}
    listed = {}
    for item in api.list_executions():
        guid = execution_guid(item)
        if guid in wanted:
            listed[guid] = item
    rows = []
    for run in runs:
        item = listed.get(run.gcs_id)
        execution = listed_execution(item)
        done, total = jobs_progress(item) if item else (None, None)
        rows.append(RunStatus(run.address, run.gcs_name, run.gcs_id,
                              execution.get("status") or MISSING, done, total,
                              execution.get("create_at"), _duration(execution.get("time_duration")),
                              run.superseded))
    if usage:
        rows = _with_usage(api, rows)
    return rows


def _duration(value) -> int | None:
    """Whole seconds, never negative: a run cancelled while Pending can be listed with a
    ``time_duration`` below zero (it never started, so it ran for 0 s); None when the listing
    gives no number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return max(0, int(value))


def summarise_usage(report: dict) -> dict:
    """Peak CPU cores and memory (MB) over the run's jobs."""
    peaks = {"cpuCoreUsed": 0.0, "memUsed": 0.0}
    for records in report.values():
        for record in records or []:
            name = (record.get("metric") or {}).get("metricName")
            if name in peaks:
                value = (record.get("max_value_metric") or {}).get("value") or 0.0
                peaks[name] = max(peaks[name], float(value))
    return {"jobs": len(report), "cpu_cores_peak": round(peaks["cpuCoreUsed"], 3),
            "memory_mb_peak": round(peaks["memUsed"], 1)}


def _with_usage(api, rows: list[RunStatus]) -> list[RunStatus]:
    result = []
    for index, row in enumerate(rows):
        if index >= MAX_USAGE_RUNS or row.status == MISSING:
            result.append(row)
            continue
        try:
            report = api.get_resource_usage(row.gcs_id, running=row.status in ACTIVE)
        except ApiError as exc:
            report = None
            usage = {"error": f"{exc.error_code}: {exc.error_msg}"}
        if report is not None:
            usage = summarise_usage(report)
        result.append(RunStatus(**{**asdict(row), "usage": usage}))
    return result
