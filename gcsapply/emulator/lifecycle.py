"""Execution status as a pure function of stored facts and the clock.

Nothing here writes: :func:`simulate` replays an execution from its create time, its fixed
``job_seconds``, its expanded job graph and its operations log (cancel/retry with their times)
up to ``now``, and returns a :class:`Snapshot`. Reading a run twice at the same time gives the
same answer; restarting the emulator on the same database continues where the clock says.

Rules (DESIGN §7):
* the run is ``Pending`` for ``pending_seconds`` after create, then jobs are dispatched; every
  job takes ``job_seconds``; there is no capacity limit;
* ``whole``: all jobs of the target finished; ``iterate``: job *i* waits for job *i* of the
  target (indices with no partner wait for nothing); a skipped target counts as finished;
* a step with a condition or a ``get_result`` fan-out is decided once all its targets finished;
  a false condition skips it (``Skipped``, counts as finished);
* a job fails iff its command is ``exit N`` (N >= 1); then no new job starts and the run is
  ``Failed`` once in-flight jobs end;
* cancel stops dispatching; ``Cancelling`` until in-flight jobs end, then ``Cancelled``;
* retry: ``Retrying`` for ``pending_seconds``, then ``Running``; failed and never-run jobs run
  again, succeeded ones are kept; ``inputs_json`` given to retry re-expands what has not run.

``TRANSITIONS`` says which operation is allowed from which status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from gcsapply.emulator.events import Event, job_name, make_event
from gcsapply.emulator.stdout import exit_code, job_fails, job_stdout

PENDING, RUNNING, SUCCEEDED, FAILED = "Pending", "Running", "Succeeded", "Failed"
CANCELLING, CANCELLED, RETRYING = "Cancelling", "Cancelled", "Retrying"
# every status the SDK reference knows, for runs, steps and sub-jobs alike (tables 3-18 to 3-21)
ALL_STATUSES = (PENDING, RUNNING, CANCELLING, "ForceCancelling", RETRYING, SUCCEEDED, FAILED,
                CANCELLED)
# operation -> statuses it is allowed from (reference §4.2; update = priority, while not finished)
TRANSITIONS: dict[str, frozenset[str]] = {
    "cancel": frozenset({PENDING, RUNNING}),
    "retry": frozenset({FAILED, CANCELLED}),
    "update": frozenset({PENDING, RUNNING, RETRYING}),
}
MAX_RESULT_BYTES = 1024 * 1024  # get_result / check_result read at most 1 MB of stdout


@dataclass
class Facts:
    """What the store keeps about a run; everything else is derived."""

    name: str
    guid: str
    created_at: float
    job_seconds: float
    pending_seconds: float
    ops: list[dict] = field(default_factory=list)  # {"action", "at", "inputs"?}
    fail_first_job: bool = False  # seeded "Failed" runs
    inputs: dict = field(default_factory=dict)  # the inputs given at create (not the defaults)


@dataclass
class Job:
    step: str
    index: int
    command: str
    name: str
    status: str = PENDING
    started: float | None = None
    ended: float | None = None
    history: list[tuple[float, float, str]] = field(default_factory=list)  # finished attempts


@dataclass
class StepState:
    name: str
    plan: object  # gcsapply.template.graph.StepPlan
    decided: bool = False
    skipped: bool = False
    decided_at: float | None = None
    jobs: list[Job] = field(default_factory=list)
    error: str | None = None
    succeeded: int = 0  # jobs in status Succeeded, kept up to date by the simulation

    @property
    def finished(self) -> bool:
        return self.decided and self.error is None and (
            self.skipped or self.succeeded == len(self.jobs))


@dataclass
class Snapshot:
    status: str
    steps: dict[str, StepState]
    events: list[Event]
    started_at: float | None
    finished_at: float | None
    updated_at: float
    next_change_at: float | None  # None: nothing changes any more without a new operation
    action: str  # the last operation in force: create | cancel | retry
    cancelled: bool = False


def simulate(graph, facts: Facts, now: float,
             expand: Callable[[dict], object] | None = None) -> Snapshot:
    """Replay the run up to ``now``. ``expand(inputs)`` re-expands the graph for a retry."""
    sim = _Simulation(graph, facts, expand)
    sim.run_until(now)
    return sim.snapshot(now)


def allowed(operation: str, status: str) -> bool:
    return status in TRANSITIONS.get(operation, frozenset())


class _Simulation:
    def __init__(self, graph, facts: Facts, expand):
        self.facts = facts
        self.expand = expand
        self.inputs: dict = dict(facts.inputs)
        self.steps = {name: StepState(name, plan) for name, plan in graph.steps.items()}
        self.ops = sorted(facts.ops, key=lambda op: op["at"])
        self.next_op = 0
        self.open_at = facts.created_at + facts.pending_seconds
        self.cancelled = self.failed = False
        self.action = "create"
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.announced_open = False
        self.attempt_steps: set[str] = set()
        self.fail_first_pending = facts.fail_first_job
        self.events: list[Event] = []
        self.running: list[Job] = []
        self._event(facts.created_at, "Initialized")
        for state in self.steps.values():
            if state.plan.commands is not None and state.plan.condition is None:
                self._set_jobs(state, state.plan.commands, None)

    # --- the event loop ------------------------------------------------------------------------
    def run_until(self, now: float) -> None:
        t = self.facts.created_at
        while True:
            self._step_at(t)
            upcoming = self._next_time(t)
            if upcoming is None or upcoming > now:
                self.next_change_at = upcoming
                return
            t = upcoming

    def _step_at(self, t: float) -> None:
        for _ in range(10_000):  # zero-second jobs may finish and dispatch again at the same t
            self._finish_jobs(t)
            self._apply_ops(t)
            if t >= self.open_at and not self.announced_open:
                self.announced_open = True
                self._event(self.open_at, "Started" if self.action == "create" else "Restarted")
                self.started_at = self.started_at if self.started_at is not None else self.open_at
            changed = self._decide_steps(t) | self._dispatch(t)
            self._check_terminal(t)
            if not changed or not any(j.ended <= t for j in self.running):
                return

    def _next_time(self, t: float) -> float | None:
        candidates = [j.ended for j in self.running]
        if self.next_op < len(self.ops):
            candidates.append(self.ops[self.next_op]["at"])
        if self.open_at > t:
            candidates.append(self.open_at)
        later = [c for c in candidates if c > t]
        return min(later) if later else None

    # --- what happens at time t ------------------------------------------------------------------
    def _finish_jobs(self, t: float) -> None:
        ending = [j for j in self.running if j.ended <= t]
        if not ending:
            return
        self.running = [j for j in self.running if j.ended > t]
        for job in sorted(ending, key=lambda j: j.ended):
            fails = job_fails(job.command) or self._forced_failure(job)
            job.status = FAILED if fails else SUCCEEDED
            job.history.append((job.started, job.ended, job.status))
            state = self.steps[job.step]
            state.succeeded += not fails
            if fails:
                self.failed = True
                self._event(job.ended, "JobFailed", job.step, job=job.name,
                            code=exit_code(job.command) or 1)
                self._event(job.ended, "StepFailed", job.step)
            elif state.finished:
                self._event(job.ended, "StepSucceeded", job.step)

    def _apply_ops(self, t: float) -> None:
        while self.next_op < len(self.ops) and self.ops[self.next_op]["at"] <= t:
            op = self.ops[self.next_op]
            self.next_op += 1
            if op["action"] == "cancel":
                self.cancelled = True
                self.action = "cancel"
                self._event(op["at"], "CancelRequested")
            elif op["action"] == "retry":
                self._retry(op)

    def _retry(self, op: dict) -> None:
        at = op["at"]
        self.cancelled = self.failed = False
        self.action = "retry"
        self.finished_at = None
        self.announced_open = False
        self.attempt_steps = set()
        self.open_at = at + self.facts.pending_seconds
        self._event(at, "RetryRequested")
        new_graph = None
        if op.get("inputs") and self.expand is not None:
            self.inputs = {**self.inputs, **op["inputs"]}
            new_graph = self.expand(self.inputs)
        for state in self.steps.values():
            if new_graph is not None and state.name in new_graph.steps:
                state.plan = new_graph.steps[state.name]
            if state.error is not None:  # its run-time expansion failed: nothing ran, decide again
                state.error, state.decided, state.jobs, state.succeeded = None, False, [], 0
                continue
            for job in state.jobs:
                if job.status == FAILED:
                    job.status, job.started, job.ended = PENDING, None, None
            if state.skipped or state.finished:
                continue
            done = [j for j in state.jobs if j.status == SUCCEEDED]
            if state.plan.condition is not None or state.plan.commands is None:
                if not done:  # not decided yet, or decided but nothing ran: decide again
                    state.decided, state.jobs, state.succeeded = False, [], 0
                continue
            if new_graph is not None:
                self._set_jobs(state, state.plan.commands, done)

    def _decide_steps(self, t: float) -> bool:
        if t < self.open_at or self.cancelled or self.failed:
            return False
        changed = True
        any_change = False
        while changed:
            changed = False
            for state in self.steps.values():
                if state.decided or not all(self._target_finished(d.target)
                                            for d in state.plan.depends):
                    continue
                changed = any_change = True
                self._decide(state, t)
        return any_change

    def _decide(self, state: StepState, t: float) -> None:
        state.decided_at = t
        try:
            condition = state.plan.condition
            if condition is not None and not condition.evaluate(self._stdout_of):
                state.decided, state.skipped = True, True
                self._event(t, "StepSkipped", state.name)
                return
            commands = state.plan.expand_runtime(self._stdout_of)
        except Exception as exc:  # noqa: BLE001 - a run-time expansion error fails the step
            state.decided, state.error = True, str(exc)
            self.failed = True
            self._event(t, "StepFailed", state.name, detail=str(exc))
            return
        self._set_jobs(state, commands, None)
        if not state.jobs:
            self._event(t, "StepSucceeded", state.name)

    def _dispatch(self, t: float) -> bool:
        if t < self.open_at or self.cancelled or self.failed:
            return False
        started = False
        for state in self.steps.values():
            if not state.decided or state.skipped or state.succeeded == len(state.jobs):
                continue
            if not all(self._target_finished(d.target) for d in state.plan.depends
                       if d.type != "iterate"):
                continue
            for job in state.jobs:
                if job.status != PENDING or not self._ready(state, job.index):
                    continue
                job.status, job.started, job.ended = RUNNING, t, t + self.facts.job_seconds
                self.running.append(job)
                started = True
                if state.name not in self.attempt_steps:
                    self.attempt_steps.add(state.name)
                    self._event(t, "StepStarted", state.name)
        return started

    def _check_terminal(self, t: float) -> None:
        if self.finished_at is not None or t < self.open_at and not self.cancelled:
            return
        if self.running:
            return
        if self.cancelled:
            self.finished_at = t
            self._event(t, "Cancelled")
        elif self.failed:
            self.finished_at = t
            self._event(t, "FailedFinish")
        elif all(s.finished for s in self.steps.values()):
            self.finished_at = t
            self._event(t, "SuccessfulFinish")

    # --- helpers -----------------------------------------------------------------------------------
    def _set_jobs(self, state: StepState, commands, keep: list[Job] | None) -> None:
        kept = {j.index: j for j in (keep or [])}
        jobs = []
        for index, command in enumerate(commands):
            jobs.append(kept.get(index) or Job(state.name, index, command,
                                               job_name(state.name, index, self.facts.guid)))
        jobs.extend(j for i, j in sorted(kept.items()) if i >= len(commands))
        state.jobs, state.decided = jobs, True
        state.succeeded = sum(1 for j in jobs if j.status == SUCCEEDED)

    def _target_finished(self, target: str) -> bool:
        state = self.steps.get(target)
        return state is None or state.finished

    def _ready(self, state: StepState, index: int) -> bool:
        for dep in state.plan.depends:  # `whole` edges were checked for the whole step
            target = self.steps.get(dep.target)
            if target is None or dep.type != "iterate":
                continue
            if not target.decided:
                return False
            if target.skipped or index >= len(target.jobs):
                continue
            if target.jobs[index].status != SUCCEEDED:
                return False
        return True

    def _stdout_of(self, step: str) -> str:
        state = self.steps.get(step)
        text = "".join(job_stdout(j.command) for j in state.jobs) if state else ""
        if len(text.encode("utf-8")) > MAX_RESULT_BYTES:
            raise _ResultTooLarge(f"the stdout of step {step} is larger than 1 MB")
        return text

    def _forced_failure(self, job: Job) -> bool:
        if self.fail_first_pending:  # seeded "Failed" runs: the first job to end fails
            self.fail_first_pending = False
            return True
        return False

    def _event(self, at: float, kind: str, step: str | None = None, **details) -> None:
        self.events.append(make_event(kind, at, self.facts.name, self.action, step, **details))

    # --- the answer ----------------------------------------------------------------------------------
    def snapshot(self, now: float) -> Snapshot:
        running = bool(self.running)
        if self.cancelled:
            status = CANCELLING if running else CANCELLED
        elif now < self.open_at:
            status = RETRYING if self.action == "retry" else PENDING
        elif self.failed:
            status = RUNNING if running else FAILED
        elif all(s.finished for s in self.steps.values()):
            status = SUCCEEDED
        else:
            status = RUNNING
        events = sorted(self.events, key=lambda e: e.at)
        updated = max([self.facts.created_at] + [e.at for e in events])
        return Snapshot(status, self.steps, events, self.started_at, self.finished_at, updated,
                        self.next_change_at, self.action, self.cancelled)


def step_status(state: StepState, snapshot: Snapshot) -> str:
    """The per-step status shown in ``status.actual_node_status`` -- one of table 3-21's values:
    a step skipped by its condition is finished with nothing to run, so ``Succeeded`` with no
    sub-jobs (its ``StepSkipped`` event says why)."""
    if state.skipped:
        return SUCCEEDED
    statuses = [j.status for j in state.jobs]
    if RUNNING in statuses:
        return CANCELLING if snapshot.cancelled else RUNNING
    if FAILED in statuses or state.error:
        return FAILED
    if state.decided and all(s == SUCCEEDED for s in statuses):
        return SUCCEEDED
    if snapshot.status == CANCELLED:
        return CANCELLED
    if snapshot.status == RETRYING:
        return RETRYING
    return RUNNING if SUCCEEDED in statuses else PENDING


class _ResultTooLarge(Exception):
    pass
