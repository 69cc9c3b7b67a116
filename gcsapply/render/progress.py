"""The live progress display of ``apply --wait`` (DESIGN §5).

On a terminal it redraws one block in place: a line per run (status, jobs done/total) and an
overall line. Without a terminal (CI logs, pipes) it writes plain timestamped lines, and only
for what changed since the last poll, so a log stays short. It never prints: it hands text to
the ``write`` callable a command gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from gcsapply.live.model import MISSING, TERMINAL

_MAX_TTY_ROWS = 20


@dataclass(frozen=True)
class RunView:
    """One run as the wait loop last saw it."""

    address: str
    gcs_name: str
    status: str  # the service's status; MISSING when the run is no longer listed
    jobs_done: int | None = None
    jobs_total: int | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL or self.status == MISSING

    def jobs_text(self) -> str:
        if self.jobs_total is None:
            return "jobs ?"
        return f"{self.jobs_done or 0}/{self.jobs_total} jobs"


def render_overall(runs: Sequence[RunView], elapsed: float) -> str:
    finished = sum(1 for run in runs if run.finished)
    done = sum(run.jobs_done or 0 for run in runs)
    total = sum(run.jobs_total or 0 for run in runs)
    return (f"overall: {finished}/{len(runs)} runs finished, {done}/{total} jobs, "
            f"{render_duration(elapsed)} elapsed")


def render_duration(seconds: float | None) -> str:
    """``H:MM:SS`` (``-`` when unknown); what ``status`` and the progress display show."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class Progress:
    """Feed it every poll's :class:`RunView` list; ``close()`` once at the end."""

    def __init__(self, write: Callable[[str], None], clock, *, tty: bool):
        self._write = write
        self._clock = clock
        self._tty = tty
        self._start = clock.monotonic()
        self._last: dict[str, RunView] = {}
        self._drawn_lines = 0

    def update(self, runs: Sequence[RunView]) -> None:
        if self._tty:
            self._redraw(runs)
        else:
            self._log(runs)

    def close(self) -> None:
        """Leave the last drawing on screen; later output starts below it."""
        self._drawn_lines = 0

    def _log(self, runs: Sequence[RunView]) -> None:
        changed = [run for run in runs if self._last.get(run.address) != run]
        if not changed:
            return
        stamp = _timestamp(self._clock.now())
        lines = [f"{stamp} {run.address}: {run.status}, {run.jobs_text()}" for run in changed]
        lines.append(f"{stamp} {render_overall(runs, self._clock.monotonic() - self._start)}")
        self._write("\n".join(lines) + "\n")
        self._last = {run.address: run for run in runs}

    def _redraw(self, runs: Sequence[RunView]) -> None:
        ordered = sorted(runs, key=lambda run: (run.finished, run.address))
        width = max((len(run.address) for run in ordered), default=0)
        rows = [f"{run.address:<{width}}  {run.status:<11} {run.jobs_text()}"
                for run in ordered[:_MAX_TTY_ROWS]]
        if len(ordered) > _MAX_TTY_ROWS:
            rows.append(f"... and {len(ordered) - _MAX_TTY_ROWS} more")
        rows.append(render_overall(runs, self._clock.monotonic() - self._start))
        up = f"\x1b[{self._drawn_lines}F" if self._drawn_lines else ""
        self._write(up + "".join(f"\x1b[2K{row}\n" for row in rows) + "\x1b[J")
        self._drawn_lines = len(rows)  # the cursor now sits on the line below the block


def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
