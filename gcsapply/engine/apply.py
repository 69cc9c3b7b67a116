"""``apply`` and ``destroy`` from start to finish (DESIGN §3, §5).

Load the stack, take the lock, resolve what a previous apply left pending, plan, show the plan,
ask (unless ``--auto-approve``, or a saved plan), run the engine under signal handling, write
state, print the summary, and optionally wait for the launched runs. Commands call
:func:`run_apply`; it talks to the user only through a :class:`Console`.
"""

from __future__ import annotations

import shlex
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.clock import SystemClock
from gcsapply.diagnostics import sort_diagnostics
from gcsapply.engine.calls import CallContext, perform_change
from gcsapply.engine.launch import EnvironmentResolver
from gcsapply.engine.recorder import ApplyRecorder, resolve_pending
from gcsapply.engine.report import render_counts, render_outcome_line, render_summary
from gcsapply.engine.signals import StopSignals
from gcsapply.engine.wait import check_verdict, follow_runs, runs_to_wait_for
from gcsapply.engine.waves import FAILED, NOT_STARTED, run_waves, wave_of
from gcsapply.errors import (
    EXIT_ERROR,
    EXIT_OK,
    ApplyFailedError,
    Interrupted,
    StalePlanError,
    StateError,
    UsageError,
)
from gcsapply.plan.build import Plan, PlanOptions
from gcsapply.plan.saved import replan_command
from gcsapply.render.plan_text import render_text
from gcsapply.state import State
from gcsapply.workspace import Workspace, make_plan, open_workspace

PROMPT = "Do you want to perform these actions?"


@dataclass
class Console:
    """How apply talks to the user; commands fill it with print/input."""

    out: Callable[[str], None]
    err: Callable[[str], None]
    ask: Callable[[str], str]  # shows a prompt, returns the answer line
    stdin_is_tty: bool = False
    stdout_is_tty: bool = False
    colour: bool = False


@dataclass
class ApplySettings:
    command_line: str
    plan_options: PlanOptions = field(default_factory=PlanOptions)
    auto_approve: bool = False
    parallelism: int | None = None
    wait: bool = False
    timeout: float | None = None  # seconds
    poll_seconds: float = 10.0
    saved_plan: dict | None = None  # apply FILE: the saved plan document
    saved_plan_path: Path | None = None  # apply FILE: the FILE
    check_saved: Callable[[dict, Plan], None] | None = None  # raises StalePlanError


def run_apply(root: Path, settings: ApplySettings, console: Console, *, clock=None,
              emulator_factory=None) -> int:
    """Plan and apply the stack at ``root``; returns the exit code for success paths."""
    clock = clock or SystemClock()
    stop = threading.Event()  # set by the first signal; token-bucket waits end on it too
    with open_workspace(root, allow_empty=settings.plan_options.destroy,
                        lock_command=settings.command_line, clock=clock,
                        emulator_factory=emulator_factory, stop_event=stop) as workspace:
        for diagnostic in sort_diagnostics(workspace.loaded.diagnostics):  # errors raised
            console.err(diagnostic.render())
        for warning in workspace.lock.warnings:
            console.err(f"warning: {warning}")
        parallelism = settings.parallelism or workspace.stack.parallelism
        return _locked_apply(workspace, settings, console, clock, stop, parallelism)


def _locked_apply(workspace: Workspace, settings, console, clock, stop, parallelism) -> int:
    desired, target, store = workspace.desired, workspace.target, workspace.backend
    binding = target.binding
    state = workspace.state
    if settings.saved_plan is not None:
        _check_saved_target(settings.saved_plan, binding, settings.saved_plan_path)
    recorder = ApplyRecorder(store, state, clock, binding=binding)
    if workspace.pending:
        for note in resolve_pending(workspace.pending, target.api, recorder, desired):
            console.err(f"journal: {note}")
        workspace.state = recorder.close()
        recorder = ApplyRecorder(store, workspace.state, clock, binding=binding)
    plan = make_plan(workspace, settings.plan_options)
    if settings.check_saved is not None:
        settings.check_saved(settings.saved_plan, plan)
    console.out(render_text(plan, colour=console.colour))
    if not plan.has_changes():
        _record_noops(plan, recorder)
        state = recorder.close()
        if settings.wait:  # runs launched by an earlier apply (a re-run CI job) are waited for
            _wait(target, state, desired, settings, console, clock, stop, workspace.root)
        return EXIT_OK
    if not _approved(settings, console, workspace.root):
        console.out("Apply cancelled.")
        return EXIT_ERROR
    recorder, lineage = _with_lineage(recorder, workspace.state, store, clock, binding)
    outcomes, interrupted = _run_engine(plan, target, recorder, console, clock, stop,
                                        parallelism, desired, lineage)
    _refuse_lost_lock(workspace)
    _record_noops(plan, recorder)
    recorder.close()
    verb = "destroy" if settings.plan_options.destroy else "apply"
    console.out("\n" + render_summary(outcomes, interrupted=interrupted, verb=verb.capitalize())
                + render_counts(outcomes))
    if interrupted:
        raise Interrupted("interrupted: calls in flight finished and state is saved; "
                          "nothing new was started", hint=f"run the same {verb} again to finish")
    failed = [o for o in outcomes if o.result == FAILED]
    if settings.wait:  # the state as written (closing again only reads it back)
        _wait(target, recorder.close(), desired, settings, console, clock, stop, workspace.root)
    if failed:
        raise ApplyFailedError(f"{len(failed)} of {len(outcomes)} changes failed",
                               hint=f"the summary above lists them; fix the cause and {verb} "
                                    "again")
    return EXIT_OK


def _check_saved_target(saved: dict, binding, path: Path | None) -> None:
    """A saved plan applies only to the target it was made against (a fresh state alone
    cannot tell: a plan of creates would otherwise launch in another project)."""
    planned_for = (saved.get("saved") or {}).get("binding")
    if planned_for is not None and planned_for != binding.to_json():
        raise StalePlanError(
            f"stale plan: it was made against {_describe_binding(planned_for)}, "
            f"but the stack now targets {binding.describe()}",
            hint="a saved plan applies only to the target it was made against; run "
                 f"{replan_command(saved, path or Path('FILE'))} again")


def _describe_binding(data: dict) -> str:
    return (f"endpoint {data.get('endpoint')}, project {data.get('project_id')}, "
            f"stack {data.get('stack')}")


def _record_noops(plan: Plan, recorder: ApplyRecorder) -> None:
    """Adopt what the plan found and leaves alone (a lost state file, a resolved journal).

    After the engine: a superseded run's noop then finds the create's record already there."""
    for change in plan.changes:
        if wave_of(change) is None:
            recorder.record(change)


def _approved(settings: ApplySettings, console: Console, root: Path) -> bool:
    if settings.auto_approve or settings.saved_plan is not None:
        return True
    if not console.stdin_is_tty:
        verb = "destroy" if settings.plan_options.destroy else "apply"
        raise UsageError(f"{verb} needs --auto-approve when stdin is not a terminal",
                         hint=_approve_hint(verb, shlex.quote(str(root))))
    answer = console.ask(f"\n{PROMPT}\n  Only 'yes' will be accepted to approve.\n\n"
                         "  Enter a value: ")
    return answer.strip() == "yes"


def _approve_hint(verb: str, shown_root: str) -> str:
    if verb == "destroy":
        return (f"review the plan above, then run 'gcsapply destroy {shown_root} "
                "--auto-approve'")
    return (f"review the plan above, then run 'gcsapply apply {shown_root} --auto-approve', "
            f"or save it with 'gcsapply plan {shown_root} --out FILE' and apply that file")


def _with_lineage(recorder: ApplyRecorder, state: State, store, clock, binding
                  ) -> tuple[ApplyRecorder, str]:
    """The lineage the runs launched now are labelled with, and the recorder to use.

    The state's own; on a first apply (no lineage yet) a fresh one, journaled in the ``meta``
    line before any call is sent, so the label on every run and the lineage folded into
    ``state.json`` are the same. Nothing has been recorded yet at this point (a journal with
    pending entries already carries a lineage), so the recorder is replaced by one that knows
    the lineage and writes no ``meta`` line of its own."""
    if state.lineage is not None:
        return recorder, state.lineage
    lineage = str(uuid.uuid4())
    journal = store.open_journal(clock=clock)
    try:
        journal.append({"phase": "meta", "lineage": lineage,
                        "binding": binding.to_json() if binding else None})
    finally:
        journal.close()
    started = state.copy()
    started.lineage = lineage
    return ApplyRecorder(store, started, clock, binding=binding), lineage


def _refuse_lost_lock(workspace: Workspace) -> None:
    """A remote lock taken over while this apply ran (its heartbeats failed too long), or a
    state object another writer moved: the engine was stopped, and the state is never written
    again by this process."""
    lost = getattr(workspace.backend, "lost", None)  # a remote lock's loss reaches its backend
    if lost:
        raise StateError(f"this apply lost the state lock: {lost}",
                         hint="calls in flight finished and nothing new was started; the local "
                              "journal keeps what happened, and the next apply adopts the runs "
                              "by their labels")


def _run_engine(plan, target, recorder, console, clock, stop, parallelism, desired, lineage):
    ctx = CallContext(api=target.api, recorder=recorder, stack_name=desired.stack.name,
                      clock=clock, stop=stop, environments=EnvironmentResolver(target.api),
                      workflow_gcs_names={spec.name: spec.gcs_name
                                          for spec in desired.workflows.values()},
                      lineage=lineage)
    for change in plan.changes:
        spec = change.desired
        if str(change.kind).lower() == "workflow" and spec is not None and change.gcs_id \
                and change.gcs_name == spec.gcs_name:
            ctx.learn_workflow(change.gcs_name, change.gcs_id)

    def on_first(name: str) -> None:
        # a SIGTERM is sent, not pressed; either signal a second time stops at once
        again = "Press Ctrl-C again to stop at once." if name == "Ctrl-C" else \
            f"A second {name} or Ctrl-C stops at once."
        console.err(f"\n{name}: starting nothing new; letting calls in flight finish and "
                    f"saving state. {again}")

    actionable = [c for c in plan.changes if wave_of(c) is not None]
    with StopSignals(stop, on_first=on_first):
        outcomes = run_waves(actionable, lambda change: perform_change(change, ctx),
                             parallelism=parallelism, stop=stop,
                             on_outcome=lambda o: console.out(render_outcome_line(o)))
    interrupted = stop.is_set() or any(o.result == NOT_STARTED for o in outcomes)
    return outcomes, interrupted


def _wait(target, state: State, desired, settings, console, clock, stop, root: Path) -> None:
    """``--wait``: the stack's current runs after this apply, launched now or by an earlier
    apply, judged as ``gcsapply wait`` judges them (:mod:`gcsapply.engine.wait`)."""
    targets = runs_to_wait_for(state, desired)
    if not targets:
        console.out("No runs in this stack: nothing to wait for.")
        return
    console.out(f"\nWaiting for {len(targets)} run(s); Ctrl-C stops waiting, never the runs.")
    result = follow_runs(target.api, targets, clock=clock, stop=stop, write=console.out,
                         tty=console.stdout_is_tty, timeout=settings.timeout,
                         poll_seconds=settings.poll_seconds)
    check_verdict(result, root)
    console.out(f"All {len(result.runs)} run(s) succeeded.")
