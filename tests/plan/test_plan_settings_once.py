"""Edits that change no run are said once: ``applies-to-next-run`` for a launch setting,
``priority-not-updatable`` for the priority of a finished run. The apply after the plan that
said it records the edit (``perfect_apply`` runs the real state bookkeeping), and the next plan
is quiet until the manifest changes again."""

from __future__ import annotations

import pytest
from planbuild import desired, execution, live, live_run, live_workflow, perfect_apply, plan, workflow

from gcsapply.engine.record_changes import execution_entry, state_updates
from gcsapply.plan.build import Action
from gcsapply.state.file import State

WF = workflow()
LIVE_WF = live_workflow(WF)


def _launched(spec, status="Running", **run_fields):
    """A run launched from ``spec`` and the state that launched it."""
    run = live_run(spec, status, workflow=LIVE_WF, **run_fields)
    state = State(None, "lineage-1", 3, {spec.address: execution_entry(
        spec, gcs_id=run.id, workflow_id=LIVE_WF.id)})
    return live([LIVE_WF], [run]), state


def _warnings(result) -> list[tuple[str, str, str]]:
    return [(w.address, w.code, w.message) for w in result.warnings]


def test_a_launch_setting_edit_warns_until_an_apply_records_it_and_then_never_again():
    launched = execution(timeout=1440)
    live_state, state = _launched(launched)
    edited = execution(timeout=60)
    first = plan(desired([WF], [edited]), live_state, state)
    assert _warnings(first) == [(
        "execution/na12878", "applies-to-next-run",
        f"timeout changed; launch settings are not part of the run key, so this applies to "
        f"the next run only ({launched.gcs_name} keeps its settings)")]
    assert _warnings(plan(desired([WF], [edited]), live_state, state)) == _warnings(first)
    live_state, state = perfect_apply(first, live_state, state)
    assert state.resources["execution/na12878"]["launch"]["timeout"] == 1440  # the run's own
    assert _warnings(plan(desired([WF], [edited]), live_state, state)) == []


def test_a_second_edit_after_a_recorded_one_is_said_again_naming_every_setting_the_run_lacks():
    live_state, state = _launched(execution())
    first = plan(desired([WF], [execution(timeout=60)]), live_state, state)
    live_state, state = perfect_apply(first, live_state, state)
    second = plan(desired([WF], [execution(timeout=60, namespace="gene-2")]), live_state, state)
    assert [(w.code, w.message.split(";")[0]) for w in second.warnings] == [
        ("applies-to-next-run", "namespace, timeout changed")]


def test_an_edit_taken_back_and_made_again_is_said_again():
    live_state, state = _launched(execution())
    edited = desired([WF], [execution(timeout=60)])
    live_state, state = perfect_apply(plan(edited, live_state, state), live_state, state)
    back = plan(desired([WF], [execution()]), live_state, state)
    assert _warnings(back) == []
    live_state, state = perfect_apply(back, live_state, state)
    assert [w.code for w in plan(edited, live_state, state).warnings] == ["applies-to-next-run"]


def test_an_apply_with_nothing_to_record_leaves_the_entry_untouched():
    spec = execution()
    live_state, state = _launched(spec, "Succeeded")
    (change,) = [c for c in plan(desired([WF], [spec]), live_state, state).changes
                 if c.address == spec.address]
    assert state_updates(state.resources, change) == {}


@pytest.mark.parametrize("status", ["Succeeded", "Failed", "Cancelled"])
def test_a_priority_edit_on_a_finished_run_says_why_nothing_changes(status):
    launched = execution(priority=5)
    live_state, state = _launched(launched, status)
    result = plan(desired([WF], [execution(priority=9)]), live_state, state)
    assert result.change("execution/na12878").action is Action.NOOP
    assert ("execution/na12878", "priority-not-updatable",
            "priority changes only while a run is Pending, Running or Retrying; run "
            f"{launched.gcs_name} is {status}, so priority 5 -> 9 applies to the next run "
            "only") in _warnings(result)


def test_a_priority_edit_on_a_finished_run_is_said_once():
    live_state, state = _launched(execution(priority=5), "Succeeded")
    edited = desired([WF], [execution(priority=9)])
    first = plan(edited, live_state, state)
    assert [w.code for w in first.warnings] == ["priority-not-updatable"]
    live_state, state = perfect_apply(first, live_state, state)
    assert plan(edited, live_state, state).warnings == ()


def test_a_priority_edit_on_a_running_run_is_an_update_and_no_warning():
    live_state, state = _launched(execution(priority=5), "Running")
    result = plan(desired([WF], [execution(priority=9)]), live_state, state)
    assert result.change("execution/na12878").action is Action.UPDATE
    assert result.warnings == ()


def test_a_priority_edit_on_a_failed_run_being_retried_is_not_warned():
    launched = execution(priority=5, mode="untilSucceeded")
    live_state, state = _launched(launched, "Failed")
    result = plan(desired([WF], [execution(priority=9, mode="untilSucceeded")]),
                  live_state, state)
    assert result.change("execution/na12878").action is Action.RETRY
    assert result.warnings == ()


def test_a_priority_edit_on_an_adopted_finished_run_is_said_once_with_no_state():
    spec = execution(priority=9)
    run = live_run(execution(priority=5), "Succeeded", workflow=LIVE_WF)
    live_state = live([LIVE_WF], [run])
    first = plan(desired([WF], [spec]), live_state, State.empty())
    assert [w.code for w in first.warnings] == ["priority-not-updatable"]
    live_state, state = perfect_apply(first, live_state, State.empty())
    assert plan(desired([WF], [spec]), live_state, state).warnings == ()

