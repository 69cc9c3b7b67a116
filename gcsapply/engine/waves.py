"""Apply: run a plan's changes in waves with bounded parallelism (DESIGN §5).

The waves, in order: workflow creates/updates; execution creates/updates/retries/cancels;
execution deletes; workflow deletes. Within a wave up to ``parallelism`` changes run at once,
each in a worker thread; a change starts only when every change it depends on succeeded, and is
*skipped* (never attempted) when one of them failed or was skipped. A failure does not stop
independent changes. Once ``stop`` is set (first Ctrl-C/SIGTERM) nothing new starts: changes
not yet started are reported ``not-started``, calls in flight finish.

What one change does against GCS lives in :mod:`gcsapply.engine.calls`; this module only
orders, dispatches and reports. The workers are daemon threads, so a second signal (which
raises :class:`~gcsapply.errors.Interrupted` in the main thread) exits at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
NOT_STARTED = "not-started"

# (kind, actions): the waves of DESIGN §5. "forget" and state-only updates ride along in the
# wave of their kind; they make no call.
WAVES: tuple[tuple[str, frozenset[str]], ...] = (
    ("workflow", frozenset({"create", "update", "replace"})),
    ("execution", frozenset({"create", "update", "replace", "retry", "cancel"})),
    ("execution", frozenset({"delete", "forget"})),
    ("workflow", frozenset({"delete", "forget"})),
)
MAX_PARALLELISM = 64
_POLL_SECONDS = 0.2  # how often the main thread wakes to let signal handlers run


@dataclass(frozen=True)
class Outcome:
    """What became of one change."""

    address: str
    action: str
    result: str  # SUCCEEDED | FAILED | SKIPPED | NOT_STARTED
    gcs_id: str | None = None
    gcs_name: str | None = None
    message: str = ""  # the service's message, the skip reason, or a note ("adopted ...")
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.result == SUCCEEDED


def wave_of(change) -> int | None:
    """Index into :data:`WAVES`, or None for a change that makes no call (noop)."""
    kind = _kind(change)
    for index, (wave_kind, actions) in enumerate(WAVES):
        if kind == wave_kind and str(change.action) in actions:
            return index
    return None


def run_waves(changes: Sequence, perform: Callable[[object], Outcome], *, parallelism: int,
              stop: threading.Event, on_outcome: Callable[[Outcome], None] | None = None
              ) -> list[Outcome]:
    """Run every change with a wave through ``perform``; return one outcome per change.

    ``perform(change)`` runs in a worker thread and must return an :class:`Outcome` (it turns
    every error of its own into a FAILED outcome). ``on_outcome`` is called in the calling
    thread as results arrive.
    """
    if not 1 <= parallelism <= MAX_PARALLELISM:
        raise ValueError(f"parallelism must be 1-{MAX_PARALLELISM}, not {parallelism}")
    outcomes: dict[str, Outcome] = {}
    report = on_outcome or (lambda outcome: None)
    planned = {change.address for change in changes if wave_of(change) is not None}
    pool = _Workers(parallelism, perform)
    try:
        for index in range(len(WAVES)):
            wave = [change for change in changes if wave_of(change) == index]
            _run_wave(wave, pool, outcomes, planned, stop, report)
    finally:
        pool.close()
    return [outcomes[change.address] for change in changes if change.address in outcomes]


def _run_wave(wave, pool, outcomes, planned, stop, report) -> None:
    in_wave = {change.address for change in wave}
    waiting = list(wave)
    running = 0
    while waiting or running:
        still_waiting = []
        progressed = False
        for change in waiting:
            blockers = [dep for dep in change.depends_on if dep in planned and dep != change.address]
            unresolved = [dep for dep in blockers if dep not in outcomes]
            broken = [dep for dep in blockers if dep in outcomes and not outcomes[dep].ok]
            if broken:
                _settle(outcomes, report, _skip(change, broken, outcomes))
            elif stop.is_set():
                _settle(outcomes, report, _outcome(change, NOT_STARTED,
                                                   "not started: apply was interrupted"))
            elif any(dep not in in_wave for dep in unresolved):
                # a dependency in a later wave: the order cannot be met, so do not guess
                late = [dep for dep in unresolved if dep not in in_wave]
                _settle(outcomes, report, _outcome(
                    change, SKIPPED, f"skipped: depends on {', '.join(late)}, which runs later"))
            elif unresolved or not pool.has_room():
                still_waiting.append(change)
                continue
            else:
                pool.submit(change)
                running += 1
            progressed = True
        waiting = still_waiting
        if running:
            finished = pool.next_result(_POLL_SECONDS)
            if finished is not None:
                running -= 1
                _settle(outcomes, report, finished)
        elif waiting and not progressed:
            # only changes waiting on each other are left: a cycle, which a plan never has
            for change in waiting:
                _settle(outcomes, report, _outcome(change, SKIPPED,
                                                   "skipped: circular dependency"))
            waiting = []


def _settle(outcomes, report, outcome: Outcome) -> None:
    outcomes[outcome.address] = outcome
    report(outcome)


def _skip(change, broken, outcomes) -> Outcome:
    first = broken[0]
    why = "failed" if outcomes[first].result == FAILED else outcomes[first].result.replace("-", " ")
    return _outcome(change, SKIPPED if why != "not started" else NOT_STARTED,
                    f"skipped: depends on {first}, which {why}")


def _outcome(change, result: str, message: str) -> Outcome:
    return Outcome(change.address, str(change.action), result,
                   gcs_id=getattr(change, "gcs_id", None),
                   gcs_name=getattr(change, "gcs_name", None), message=message)


def _kind(change) -> str:
    return str(change.kind).lower()


class _Workers:
    """A fixed number of daemon threads pulling changes from a queue.

    Daemon threads (not ``ThreadPoolExecutor``, whose threads are joined at exit) let a second
    Ctrl-C end the process while calls are still in flight.
    """

    def __init__(self, size: int, perform: Callable[[object], Outcome]):
        self._perform = perform
        self._size = size
        self._tasks: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self.busy: set[str] = set()
        self._threads = [threading.Thread(target=self._loop, name=f"gcsapply-worker-{i}",
                                          daemon=True) for i in range(size)]
        for thread in self._threads:
            thread.start()

    def has_room(self) -> bool:
        with self._lock:
            return len(self.busy) < self._size

    def submit(self, change) -> None:
        with self._lock:
            self.busy.add(change.address)
        self._tasks.put(change)

    def next_result(self, timeout: float) -> Outcome | None:
        try:
            outcome = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        with self._lock:
            self.busy.discard(outcome.address)
        return outcome

    def close(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)

    def _loop(self) -> None:
        while True:
            change = self._tasks.get()
            if change is None:
                return
            try:
                outcome = self._perform(change)
            except BaseException as exc:  # noqa: BLE001 - a bug in perform must not hang apply
                outcome = _outcome(change, FAILED, f"internal error: {type(exc).__name__}: {exc}")
            self._results.put(outcome)
