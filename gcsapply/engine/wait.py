"""``gcsapply wait`` and ``apply --wait``: follow the stack's runs to a terminal state (DESIGN §5).

Both commands wait for the same runs (:func:`runs_to_wait_for`) and reach the same verdict
(:func:`check_verdict`): exit 0 only when every one of them Succeeded. The wait polls the
executions **list** (one paged listing per poll, never one GET per run), feeds a
:class:`~gcsapply.render.progress.Progress`, and stops when every run is terminal, when
``--timeout`` passes, or on the first Ctrl-C/SIGTERM. It never cancels a run: the runs
continue in GCS.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.client.api import execution_guid
from gcsapply.engine.signals import StopSignals
from gcsapply.errors import ApplyFailedError, Interrupted, TimeoutExpiredError, UsageError
from gcsapply.live.model import MISSING, SUCCEEDED, UNKNOWN, jobs_progress, listed_execution
from gcsapply.manifest.model import DesiredStack
from gcsapply.render.progress import Progress, RunView
from gcsapply.state.file import State
from gcsapply.state.inventory import managed_runs

DEFAULT_POLL_SECONDS = 10.0
_SLICE_SECONDS = 0.5  # how often a real-time wait looks at the stop event
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}
_MIN_PREFIX = 4  # a shorter shared name prefix narrows the listing too little to bother
FORMAT_VERSION = "1.0"  # of schemas/wait.schema.json
# The verdicts, as --json shows them.
VERDICT_SUCCEEDED = "succeeded"
VERDICT_FAILED = "failed"
VERDICT_TIMED_OUT = "timed-out"
VERDICT_INTERRUPTED = "interrupted"


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

    @property
    def verdict(self) -> str:
        if self.interrupted:
            return VERDICT_INTERRUPTED
        if self.timed_out:
            return VERDICT_TIMED_OUT
        return VERDICT_FAILED if self.unsuccessful else VERDICT_SUCCEEDED


def runs_to_wait_for(state: State, desired: DesiredStack | None = None) -> list[WaitTarget]:
    """The runs a wait judges: the current run of every execution entry of ``state``, whatever
    its status, except one whose manifest asks it cancelled (``desiredState: cancelled``: a
    Cancelled run is then what was wanted, not a failure).

    Runs that ended before the wait count: a Failed current run the next apply does not retry
    (runPolicy ``once``, retries exhausted) keeps the verdict at failed, so a CI re-run cannot
    pass while a run it launched failed. Superseded runs are not waited for: a new run key
    replaced each of them (changed inputs, template or rerunToken, or a retry of a failure), so
    the manifests no longer ask for their results, and a failed one would otherwise fail every
    wait of the stack for good; ``status`` still shows them."""
    cancelled = {address for address, spec in (desired.executions if desired else {}).items()
                 if spec.desired_state == "cancelled"}
    return [WaitTarget(run.address, run.gcs_id, run.gcs_name) for run in managed_runs(state)
            if not run.superseded and run.address not in cancelled]


def follow_runs(api, targets: list[WaitTarget], *, clock, stop: threading.Event,
                write: Callable[[str], None], tty: bool, timeout: float | None = None,
                poll_seconds: float = DEFAULT_POLL_SECONDS) -> WaitResult:
    """:func:`wait_for_runs` with the progress display, the first Ctrl-C/SIGTERM ending the
    wait (never the runs)."""
    progress = Progress(write, clock, tty=tty)
    with StopSignals(stop):
        result = wait_for_runs(api, targets, clock=clock, stop=stop, timeout=timeout,
                               progress=progress, poll_seconds=poll_seconds)
    progress.close()
    return result


def check_verdict(result: WaitResult, root: Path) -> None:
    """Raise unless every run Succeeded: :class:`Interrupted` (exit 130), or exit 1 with
    :class:`TimeoutExpiredError` or :class:`ApplyFailedError` (a run Failed, was Cancelled, or
    vanished from GCS), the hint naming ``gcsapply status`` of the stack at ``root``."""
    status = f"'gcsapply status {shlex.quote(str(root))}'"
    bad = result.unsuccessful
    names = ", ".join(f"{run.address} ({run.status})" for run in bad)
    if result.interrupted:
        raise Interrupted("stopped waiting; runs continue in GCS",
                          hint=f"follow them with {status}")
    if result.timed_out:
        failed = f" and {len(bad)} that did not succeed ({names})" if bad else ""
        raise TimeoutExpiredError(
            f"timed out after {result.elapsed:.0f}s with {len(result.unfinished)} of "
            f"{len(result.runs)} runs unfinished{failed}; runs continue in GCS",
            hint=f"follow them with {status}")
    if bad:
        raise ApplyFailedError(f"{len(bad)} run(s) did not succeed: {names}",
                               hint=f"see {status}; runs under runPolicy "
                                    "untilSucceeded are retried by the next apply")


def render_wait_json(stack_name: str, result: WaitResult) -> str:
    """The document of ``schemas/wait.schema.json``: each run as last seen, and the verdict."""
    document = {"format_version": FORMAT_VERSION, "stack": stack_name,
                "verdict": result.verdict, "elapsed_s": max(0, int(result.elapsed)),
                "runs": [{"address": run.address, "gcs_name": run.gcs_name,
                          "status": run.status, "jobs_done": run.jobs_done,
                          "jobs_total": run.jobs_total} for run in result.runs]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


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
