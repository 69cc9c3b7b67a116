"""Cromwell runs: what a submitted WDL shows as the clock moves.

Calls run one after another, each ``job_seconds``, after ``pending_seconds`` as ``Submitted``.
The run fails on its last call when the WDL holds a line ``exit N`` (N >= 1) -- the same rule
as the GCS stdout model. Stop (Cromwell's abort): ``Aborting`` until the running call ends,
then ``Aborted``; a run stopped while still ``Submitted`` is ``Aborted`` at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBMITTED, RUNNING, ABORTING, ABORTED = "Submitted", "Running", "Aborting", "Aborted"
SUCCEEDED, FAILED = "Succeeded", "Failed"
STATUSES = (SUBMITTED, RUNNING, ABORTING, ABORTED, SUCCEEDED, FAILED, "Deleting")
ABORTABLE = frozenset({SUBMITTED, RUNNING})
_WORKFLOW = re.compile(r"^\s*workflow\s+([A-Za-z_][\w]*)\s*\{", re.M)
_CALL = re.compile(r"^\s*call\s+([A-Za-z_][\w.]*)(?:\s+as\s+([A-Za-z_]\w*))?", re.M)
_TASK = re.compile(r"^\s*task\s+([A-Za-z_]\w*)\s*\{", re.M)
_EXIT = re.compile(r"^\s*exit\s+([1-9][0-9]*)\s*$", re.M)


@dataclass(frozen=True)
class CallState:
    name: str
    status: str  # QueuedInCromwell | Starting | Done | Failed | Aborting | Aborted
    start: float | None
    end: float | None


@dataclass(frozen=True)
class CromwellSnapshot:
    status: str
    calls: list[CallState]
    started_at: float | None
    finished_at: float | None


def read_wdl(text: str, fallback_name: str) -> dict:
    """Workflow name, call names (in order) and whether it fails, from WDL source text."""
    workflow = _WORKFLOW.search(text)
    calls = [alias or name.split(".")[-1] for name, alias in _CALL.findall(text)]
    if not calls:
        calls = _TASK.findall(text) or ["main"]
    return {"workflow_name": workflow.group(1) if workflow else fallback_name,
            "calls": calls, "fails": bool(_EXIT.search(text))}


def cromwell_snapshot(row: dict, now: float) -> CromwellSnapshot:
    doc = row["doc"]
    calls, step = doc["calls"], doc["job_seconds"]
    start = row["created_at"] + doc["pending_seconds"]
    aborted = row.get("aborted_at")
    if aborted is not None and aborted < start:
        return CromwellSnapshot(ABORTED, [CallState(c, ABORTED, None, None) for c in calls],
                                None, aborted)
    stop_after = len(calls)
    if aborted is not None:
        stop_after = min(len(calls), int((aborted - start) // step) + 1 if step else len(calls))
    states, last_end = [], None
    for k, name in enumerate(calls):
        begin, end = start + k * step, start + (k + 1) * step
        if k >= stop_after:
            states.append(CallState(name, ABORTED, None, None))
        elif now < begin:
            states.append(CallState(name, "QueuedInCromwell", None, None))
        elif now < end:
            states.append(CallState(name, ABORTING if aborted is not None else "Starting",
                                    begin, None))
        else:
            failed = doc["fails"] and k == len(calls) - 1
            states.append(CallState(name, "Failed" if failed else "Done", begin, end))
            last_end = end
    end_all = start + stop_after * step
    if now < start:
        return CromwellSnapshot(SUBMITTED, states, None, None)
    if now < end_all:
        return CromwellSnapshot(ABORTING if aborted is not None else RUNNING, states, start, None)
    if aborted is not None:
        return CromwellSnapshot(ABORTED, states, start, max(end_all, aborted))
    return CromwellSnapshot(FAILED if doc["fails"] else SUCCEEDED, states, start, last_end)
