"""``status``: the rows of :func:`gcsapply.live.status.collect_status` as text and JSON.

Text and JSON are rendered from the same rows (``schemas/status.schema.json``); nothing here
calls the API.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from gcsapply.live.model import TERMINAL
from gcsapply.live.status import RunStatus
from gcsapply.render.progress import render_duration

FORMAT_VERSION = "1.0"


def render_status_text(rows: list[RunStatus]) -> str:
    if not rows:
        return "No runs are managed by this stack yet (apply first).\n"
    table = [("ADDRESS", "STATUS", "JOBS", "STARTED", "DURATION")]
    for row in rows:
        jobs = f"{row.jobs_done}/{row.jobs_total}" if row.jobs_total is not None else "-"
        table.append((row.address, row.status, jobs, row.started or "-",
                      render_duration(row.duration_s)))
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
             for line in table]
    for row in rows:
        if row.usage:
            lines.append(f"  {row.address}: {_usage_text(row.usage)}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    finished = sum(1 for row in rows if row.status in TERMINAL)
    lines.append("")
    lines.append(f"{len(rows)} runs ({finished} finished): "
                 + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ".")
    return "\n".join(lines) + "\n"


def render_status_json(stack_name: str, rows: list[RunStatus]) -> str:
    document = {"format_version": FORMAT_VERSION, "stack": stack_name,
                "runs": [asdict(row) for row in rows]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _usage_text(usage: dict) -> str:
    if "error" in usage:
        return f"usage unavailable ({usage['error']})"
    return (f"{usage['jobs']} jobs measured, peak {usage['cpu_cores_peak']} cores, "
            f"peak {usage['memory_mb_peak']} MB")
