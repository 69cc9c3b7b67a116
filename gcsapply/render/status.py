"""``status``: the stack's runs as GCS shows them now, from one executions listing.

Each managed run (current and superseded) gets its status, jobs done/total, start time and
duration; ``usage`` adds peak CPU and memory from the monitoring calls, for at most
:data:`MAX_USAGE_RUNS` runs. Text and JSON are rendered from the same rows
(``schemas/status.schema.json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from gcsapply.engine.wait import jobs_progress
from gcsapply.errors import ApiError
from gcsapply.render.progress import TERMINAL_STATUSES
from gcsapply.state.inventory import managed_runs

FORMAT_VERSION = "1.0"
MAX_USAGE_RUNS = 50
ACTIVE = frozenset({"Pending", "Running", "Retrying"})


@dataclass(frozen=True)
class RunStatus:
    address: str
    gcs_name: str
    gcs_id: str
    status: str  # the service's, or "Missing" when the run is no longer listed
    jobs_done: int | None
    jobs_total: int | None
    started: str | None
    duration_s: int | None
    superseded: bool
    usage: dict | None = None


def collect_status(api, state, *, usage: bool = False) -> list[RunStatus]:
    runs = managed_runs(state)
    wanted = {run.gcs_id for run in runs}
    listed = {}
    for item in api.list_executions():
        execution = item.get("execution") or {}
        if execution.get("guid") in wanted:
            listed[execution["guid"]] = item
    rows = []
    for run in runs:
        item = listed.get(run.gcs_id)
        execution = (item or {}).get("execution") or {}
        done, total = jobs_progress(item) if item else (None, None)
        rows.append(RunStatus(run.address, run.gcs_name, run.gcs_id,
                              execution.get("status") or "Missing", done, total,
                              execution.get("create_at"), execution.get("time_duration"),
                              run.superseded))
    if usage:
        rows = _with_usage(api, rows)
    return rows


def render_status_text(rows: list[RunStatus]) -> str:
    if not rows:
        return "No runs are managed by this stack yet (apply first).\n"
    table = [("ADDRESS", "STATUS", "JOBS", "STARTED", "DURATION")]
    for row in rows:
        jobs = f"{row.jobs_done}/{row.jobs_total}" if row.jobs_total is not None else "-"
        table.append((row.address, row.status, jobs, row.started or "-",
                      _duration(row.duration_s)))
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
             for line in table]
    for row in rows:
        if row.usage:
            lines.append(f"  {row.address}: {_usage_text(row.usage)}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    finished = sum(1 for row in rows if row.status in TERMINAL_STATUSES)
    lines.append("")
    lines.append(f"{len(rows)} runs ({finished} finished): "
                 + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ".")
    return "\n".join(lines) + "\n"


def render_status_json(stack_name: str, rows: list[RunStatus]) -> str:
    document = {"format_version": FORMAT_VERSION, "stack": stack_name,
                "runs": [asdict(row) for row in rows]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _with_usage(api, rows: list[RunStatus]) -> list[RunStatus]:
    result = []
    for index, row in enumerate(rows):
        if index >= MAX_USAGE_RUNS or row.status == "Missing":
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


def _usage_text(usage: dict) -> str:
    if "error" in usage:
        return f"usage unavailable ({usage['error']})"
    return (f"{usage['jobs']} jobs measured, peak {usage['cpu_cores_peak']} cores, "
            f"peak {usage['memory_mb_peak']} MB")


def _duration(seconds) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
