"""``apply --wait``: follow launched runs to a terminal state (DESIGN §5).

It polls the executions **list** (one paged listing per poll, never one GET per run), feeds a
:class:`~gcsapply.render.progress.Progress`, and stops when every run is terminal, when ``--timeout``
passes, or on the first Ctrl-C/SIGTERM. It never cancels a run: the runs continue in GCS.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from gcsapply.client.api import execution_guid
from gcsapply.errors import UsageError
from gcsapply.live.model import MISSING, SUCCEEDED, UNKNOWN, jobs_progress, listed_execution
from gcsapply.render.progress import RunView

DEFAULT_POLL_SECONDS = 10.0
_SLICE_SECONDS = 0.5  # how often a real-time wait looks at the stop event
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_MIN_PREFIX = 4  # a shorter shared name prefix narrows the listing too little to bother


@dataclass(frozen=True)
class WaitTarget:
    """A run to follow: found in the listing by its GCS id."""

    address: str
    gcs_id: str
    gcs_name: str


@dataclass
class WaitResult:
    runs: list[RunView] = field(default_factory=list)
    timed_out: bool = False
    interrupted: bool = False
    elapsed: float = 0.0

    @property
    def unsuccessful(self) -> list[RunView]:
        """Runs that ended Failed or Cancelled, or vanished from the listing."""
        return [run for run in self.runs if run.finished and run.status != SUCCEEDED]

    @property
    def unfinished(self) -> list[RunView]:
        return [run for run in self.runs if not run.finished]


def parse_timeout(text: str) -> float:
    """``90s``, ``30m``, ``2h`` or bare seconds (``600``) -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not match or float(match.group(1)) <= 0:
        raise UsageError(f"--timeout takes a positive duration like 90s, 30m, 2h or 600, "
                         f"not {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wait_for_runs(api, targets: Iterable[WaitTarget], *, clock, stop: threading.Event,
                  timeout: float | None = None, progress=None,
                  poll_seconds: float = DEFAULT_POLL_SECONDS) -> WaitResult:
    """Poll until every target is terminal, the timeout passes, or ``stop`` is set."""
    targets = list(targets)
    start = clock.monotonic()
    result = WaitResult()
    while True:
        result.runs = poll_runs(api, targets)
        result.elapsed = clock.monotonic() - start
        if progress is not None:
            progress.update(result.runs)
        if not result.unfinished:
            return result
        if stop.is_set():
            result.interrupted = True
            return result
        remaining = None if timeout is None else timeout - result.elapsed
        if remaining is not None and remaining <= 0:
            result.timed_out = True
            return result
        _sleep(clock, stop, poll_seconds if remaining is None else min(poll_seconds, remaining))
        if stop.is_set():  # a signal during the sleep: poll no more (the session would refuse)
            result.interrupted = True
            return result


def poll_runs(api, targets: list[WaitTarget]) -> list[RunView]:
    """One pass over the executions listing, reduced to the targets' views.

    When the runs share a name prefix (the members of one ExecutionSet do), the listing is
    narrowed by it (the service's ``name`` filter is a substring match); ids decide anyway."""
    wanted = {target.gcs_id: target for target in targets}
    prefix = os.path.commonprefix([target.gcs_name for target in targets])
    seen: dict[str, RunView] = {}
    for item in api.list_executions(name=prefix if len(prefix) >= _MIN_PREFIX else None):
        target = wanted.get(execution_guid(item))
        if target is None:
            continue
        done, total = jobs_progress(item)
        seen[target.gcs_id] = RunView(target.address, target.gcs_name,
                                      listed_execution(item).get("status") or UNKNOWN, done, total)
    return [seen.get(target.gcs_id) or RunView(target.address, target.gcs_name, MISSING)
            for target in targets]


def _sleep(clock, stop: threading.Event, seconds: float) -> None:
    """Sleep on ``clock`` in short slices, returning early once ``stop`` is set."""
    while seconds > 0 and not stop.is_set():
        step = min(_SLICE_SECONDS, seconds)
        clock.sleep(step)
        seconds -= step
