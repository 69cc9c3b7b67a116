"""The Execution decision table of DESIGN §4, row by row, with no server."""

from __future__ import annotations

import pytest
from planbuild import STACK, actions, binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry
from gcsapply.errors import PlanRefusedError
from gcsapply.manifest.model import ExecutionSpec, run_key
from gcsapply.plan.build import Action, Reason
from gcsapply.plan.executions import decide_execution
from gcsapply.state.file import State

WF = workflow()
LIVE_WF = live_workflow(WF)


def _state(*entries) -> State:
    return State(binding(), "lineage-1", 3, {e["name"] and f"execution/{e['name']}": e
                                           for e in entries})


def _entry(spec: ExecutionSpec, run=None, **overrides) -> dict:
    entry = execution_entry(spec, gcs_id=run.id if run else "gone-id",
                            workflow_id=LIVE_WF.id)
    entry.update(overrides)
    return entry


def _decide(status, **facts):
    base = dict(launched_before=False, cancelled=False, mode="once", attempts=0,
                max_retries=2, priority_differs=False)
    base.update(facts)
    decision = decide_execution(status, **base)
    return (str(decision.action), str(decision.reason) if decision.reason else None,
            decision.flag)


# (observed status, facts, mode) -> (action, reason, flag): the table of DESIGN §4.
TABLE = [
    ("a run never launched is created", None, {}, ("create", "new", None)),
    ("a run never launched but desired cancelled is left alone", None, {"cancelled": True},
     ("noop", "desired-cancelled", None)),
    ("a run launched before and now missing is not relaunched and is reported as drift", None,
     {"launched_before": True}, ("noop", "deleted-outside", "deleted-outside")),
    ("a missing run is launched again with --relaunch-missing", None,
     {"launched_before": True, "relaunch_missing": True},
     ("create", "deleted-outside", "deleted-outside")),
    ("a missing cancelled run is not relaunched even with --relaunch-missing", None,
     {"launched_before": True, "relaunch_missing": True, "cancelled": True},
     ("noop", "deleted-outside", "deleted-outside")),
    ("a pending run is left alone", "Pending", {}, ("noop", None, None)),
    ("a running run is left alone", "Running", {}, ("noop", None, None)),
    ("a retrying run is left alone", "Retrying", {}, ("noop", None, None)),
    ("a running run desired cancelled is cancelled", "Running", {"cancelled": True},
     ("cancel", "desired-cancelled", None)),
    ("a pending run desired cancelled is cancelled", "Pending", {"cancelled": True},
     ("cancel", "desired-cancelled", None)),
    ("a running run whose priority differs is updated", "Running", {"priority_differs": True},
     ("update", "fields-changed", None)),
    ("cancel wins over a priority update", "Retrying",
     {"cancelled": True, "priority_differs": True}, ("cancel", "desired-cancelled", None)),
    ("a cancelling run is never created over", "Cancelling", {}, ("noop", None, None)),
    ("a force-cancelling run is never created over", "ForceCancelling", {},
     ("noop", None, None)),
    ("a deleting run is never created over", "Deleting", {"launched_before": True},
     ("noop", None, None)),
    ("a succeeded run is left alone", "Succeeded", {}, ("noop", None, None)),
    ("a succeeded untilSucceeded run is left alone", "Succeeded", {"mode": "untilSucceeded"},
     ("noop", None, None)),
    ("a cancelled run is left alone", "Cancelled", {}, ("noop", None, None)),
    ("a cancelled run is not retried under untilSucceeded", "Cancelled",
     {"mode": "untilSucceeded"}, ("noop", None, None)),
    ("a succeeded run's priority is not updated", "Succeeded", {"priority_differs": True},
     ("noop", None, None)),
    ("a failed run under once is left alone and flagged", "Failed", {},
     ("noop", None, "run-failed")),
    ("a failed run under untilSucceeded is retried", "Failed", {"mode": "untilSucceeded"},
     ("retry", "previous-run-failed", None)),
    ("retry wins over a priority update", "Failed",
     {"mode": "untilSucceeded", "priority_differs": True},
     ("retry", "previous-run-failed", None)),
    ("a failed run is retried while attempts are below maxRetries", "Failed",
     {"mode": "untilSucceeded", "attempts": 1, "max_retries": 2},
     ("retry", "previous-run-failed", None)),
    ("a failed run is not retried once attempts reach maxRetries", "Failed",
     {"mode": "untilSucceeded", "attempts": 2, "max_retries": 2},
     ("noop", None, "retries-exhausted")),
    ("a failed run desired cancelled is not retried", "Failed",
     {"mode": "untilSucceeded", "cancelled": True}, ("noop", "desired-cancelled", None)),
]


@pytest.mark.parametrize("status,facts,expected", [row[1:] for row in TABLE],
                         ids=[row[0] for row in TABLE])
def test_decision_table_row(status, facts, expected):
    assert _decide(status, **facts) == expected


def test_a_fresh_run_is_created_with_its_gcs_name_labels_and_depends_on_its_workflow():
    spec = execution()
    result = plan(desired([WF], [spec]))
    change = result.change("execution/na12878")
    assert (change.action, change.reason) == (Action.CREATE, Reason.NEW)
    assert change.gcs_name == f"na12878-{spec.key[:8]}"
    assert change.after["labels"] == {"gcsapply-key": f"v1-{spec.key[:40]}",
                                      "gcsapply-stack": STACK}
    assert change.after["workflow_version"] == WF.gcs_name
    assert change.depends_on == ("workflow/germline",)


def test_a_run_of_an_existing_workflow_version_depends_on_nothing():
    spec = execution()
    result = plan(desired([WF], [spec]), live([LIVE_WF]))
    assert result.change("execution/na12878").depends_on == ()


def test_a_priority_change_on_a_running_run_is_an_update_showing_old_and_new():
    spec = execution(priority=10)
    run = live_run(spec, "Running", workflow=LIVE_WF, priority=5)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    change = result.change("execution/na12878")
    assert (change.action, change.reason) == (Action.UPDATE, Reason.FIELDS_CHANGED)
    assert [(d.path, d.before, d.after) for d in change.diff] == [("priority", 5, 10)]
    assert change.gcs_id == run.id


def test_a_run_found_by_exact_name_without_state_is_adopted_not_relaunched():
    spec = execution()
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]))
    change = result.change("execution/na12878")
    assert change.action is Action.NOOP and change.gcs_id == run.id
    assert change.live == run  # apply reads the typed live object it was planned against


def test_a_run_deleted_outside_is_drift_and_not_relaunched():
    spec = execution()
    result = plan(desired([WF], [spec]), live([LIVE_WF]), _state(_entry(spec)))
    assert actions(result)["execution/na12878"] == ("noop", "deleted-outside")
    assert [(d.address, d.observation) for d in result.drift] == [
        ("execution/na12878", "deleted-outside")]
    assert not result.has_changes()


def test_relaunch_missing_launches_a_run_deleted_outside_again():
    spec = execution()
    result = plan(desired([WF], [spec]), live([LIVE_WF]), _state(_entry(spec)),
                  relaunch_missing=True)
    assert actions(result)["execution/na12878"] == ("create", "deleted-outside")


def test_a_failed_until_succeeded_run_retried_after_a_template_change_warns_old_version():
    old = live_workflow(WF, name="germline-00000000", id="old-wf")
    spec = execution(mode="untilSucceeded")
    run = live_run(spec, "Failed", workflow=old)
    result = plan(desired([WF], [spec]), live([LIVE_WF, old], [run]), _state(_entry(spec, run)))
    assert actions(result)["execution/na12878"] == ("retry", "previous-run-failed")
    assert [w.code for w in result.warnings] == ["retry-uses-old-version"]


def test_retry_attempts_come_from_state():
    spec = execution(mode="untilSucceeded", max_retries=1)
    run = live_run(spec, "Failed", workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]),
                  _state(_entry(spec, run, attempts=1)))
    assert actions(result)["execution/na12878"] == ("noop", None)
    assert [w.code for w in result.warnings] == ["retries-exhausted"]


def test_a_failed_once_run_is_flagged_with_a_warning():
    spec = execution()
    run = live_run(spec, "Failed", workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    assert actions(result)["execution/na12878"] == ("noop", None)
    assert [w.code for w in result.warnings] == ["run-failed"]


def test_a_deletion_policy_edit_alone_is_a_state_only_update():
    spec = execution(deletion_policy="delete")
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    entry = _entry(spec, run, deletion_policy="retain")
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(entry))
    change = result.change("execution/na12878")
    assert (change.action, change.reason) == (Action.UPDATE, Reason.POLICY_CHANGED)
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("deletion_policy", "retain", "delete")]


def test_a_run_policy_edit_alone_is_a_state_only_update():
    spec = execution(mode="untilSucceeded", max_retries=3)
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    entry = _entry(spec, run, run_policy={"mode": "once", "max_retries": 2})
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(entry))
    change = result.change("execution/na12878")
    assert change.reason is Reason.POLICY_CHANGED
    assert [d.path for d in change.diff] == ["run_policy.max_retries", "run_policy.mode"]


def test_a_launch_setting_change_applies_to_the_next_run_only():
    launched = execution(namespace="gene")
    spec = execution(namespace="gene-2", environment="default-cce")
    run = live_run(spec, "Running", workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]),
                  _state(_entry(launched, run)))
    assert actions(result)["execution/na12878"] == ("noop", None)
    (warning,) = result.warnings
    assert warning.code == "applies-to-next-run"
    assert warning.message.startswith("environment, namespace changed")


def test_a_template_change_relaunches_nothing():
    spec = execution()
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    new_wf = workflow(template=b"version: genecontainer_0_1\n# v2\n")
    result = plan(desired([new_wf], [spec]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    assert actions(result)["execution/na12878"] == ("noop", None)


def test_changing_inputs_launches_a_new_run_and_keeps_the_old_one_as_superseded():
    old = execution()
    run = live_run(old, "Succeeded", workflow=LIVE_WF)
    spec = execution(inputs={"sample": "NA24385"})
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(_entry(old, run)))
    assert actions(result) == {
        "execution/na12878": ("create", "run-key-changed"),
        f"execution/na12878#{old.gcs_name}": ("noop", "superseded"),
        "workflow/germline": ("noop", None)}


def test_changing_the_rerun_token_launches_a_new_run():
    old = execution()
    run = live_run(old, "Succeeded", workflow=LIVE_WF)
    spec = execution(rerun_token="again")
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]), _state(_entry(old, run)))
    assert actions(result)["execution/na12878"] == ("create", "run-key-changed")


def test_a_lost_state_adopts_the_current_run_but_never_makes_a_labelled_run_of_another_key_superseded():
    """Ownership (DESIGN §3): the other key may be another stack's of the same name."""
    old = execution()
    run = live_run(old, "Succeeded", workflow=LIVE_WF)
    spec = execution(inputs={"sample": "NA24385"})
    new_run = live_run(spec, "Running", workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run, new_run]))
    assert actions(result) == {"execution/na12878": ("noop", None),
                               "workflow/germline": ("noop", None)}
    assert result.change("execution/na12878").gcs_id == new_run.id
    assert not result.has_changes() and not result.drift


def test_a_removed_run_is_forgotten_under_retain():
    spec = execution()
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    result = plan(desired([WF]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    assert actions(result)["execution/na12878"] == ("forget", "removed-from-manifests")


def test_a_removed_run_is_deleted_under_its_last_applied_delete_policy():
    spec = execution(deletion_policy="delete")
    run = live_run(spec, "Running", workflow=LIVE_WF)
    result = plan(desired([WF]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    change = result.change("execution/na12878")
    assert (change.action, change.reason) == (Action.DELETE, Reason.REMOVED_FROM_MANIFESTS)
    assert change.before["status"] == "Running"  # apply cancels it first
    assert change.after is None


def test_each_superseded_run_of_a_removed_address_is_its_own_delete():
    first, second = execution(), execution(inputs={"sample": "X"})
    r1 = live_run(first, "Succeeded", workflow=LIVE_WF)
    r2 = live_run(second, "Failed", workflow=LIVE_WF)
    entry = _entry(second, r2, deletion_policy="delete",
                   superseded=[{"gcs_id": r1.id, "gcs_name": r1.name, "key": first.key}])
    result = plan(desired([WF]), live([LIVE_WF], [r1, r2]), _state(entry))
    assert actions(result) == {
        "execution/na12878": ("delete", "removed-from-manifests"),
        f"execution/na12878#{r1.name}": ("delete", "removed-from-manifests"),
        "workflow/germline": ("noop", None)}


def test_prevent_destroy_refuses_the_delete_of_a_removed_run():
    spec = execution(deletion_policy="delete", prevent_destroy=True)
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    with pytest.raises(PlanRefusedError, match="preventDestroy"):
        plan(desired([WF]), live([LIVE_WF], [run]), _state(_entry(spec, run)))


def test_prevent_destroy_does_not_stop_a_forget():
    spec = execution(prevent_destroy=True)
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    result = plan(desired([WF]), live([LIVE_WF], [run]), _state(_entry(spec, run)))
    assert actions(result)["execution/na12878"] == ("forget", "removed-from-manifests")


def test_a_removed_run_already_gone_is_forgotten():
    spec = execution(deletion_policy="delete")
    result = plan(desired([WF]), live([LIVE_WF]), _state(_entry(spec)))
    assert actions(result)["execution/na12878"] == ("forget", "deleted-outside")


def test_replace_is_refused_for_runs_with_the_rerun_token_hint():
    spec = execution()
    with pytest.raises(PlanRefusedError) as caught:
        plan(desired([WF], [spec]), replace=("execution/na12878",))
    assert "rerunToken" in caught.value.hint


def test_a_labelled_run_nobody_knows_is_left_alone():
    """Forgotten runs keep their labels: they are not the plan's business any more."""
    stray = execution(name="old-sample")
    run = live_run(stray, "Succeeded", workflow=LIVE_WF)
    result = plan(desired([WF]), live([LIVE_WF], [run]))
    assert not result.has_changes() and not result.drift
    assert [c.address for c in result.changes] == ["workflow/germline"]


# Five pinned run keys (DESIGN §2): an upgrade must never silently change them.
KEY_VECTORS = [
    ("germline", {"sample": "NA12878"}, "",
     "45f89397f88d1856635b77dcd73cf505c972aa23f0e788a74f5c4f5f196b7599"),
    ("germline", {"sample": "NA12878", "depth": 30.0, "paired": True}, "",
     "d55c7d4405aef5e26eb793090e40e781e3ade0db725aad84702edb5b705477f5"),
    ("id:0e7196ae-fdbf-84e4-d751-28554dcd7572", {}, "",
     "461a81f5288eaa5c03baa355702127614efb0d77d065b11905e2e0227692911b"),
    ("germline", {"sample": "NA12878"}, "rerun-2026-11-28",
     "edff5804fcb77408330eac67ae04d447381ae8e2b731d64a68a809749b9154e3"),
    ("cohort", {"sample": "Ünïcødé-样本", "regions": ["chr1", "chr2"],
                "opts": {"b": 1, "a": None}}, "",
     "4a36bee85537277f220968efd86aa4c8ef5028c8bf08215a881aa8530a853b22"),
]


@pytest.mark.parametrize("workflow_ref,inputs,token,expected", KEY_VECTORS,
                         ids=["plain", "integral-float-and-bool", "workflow-by-id",
                              "rerun-token", "unicode-list-nested"])
def test_run_keys_are_pinned(workflow_ref, inputs, token, expected):
    assert run_key(workflow_ref, inputs, token) == expected


def test_an_integral_float_input_gives_the_same_key_as_the_int():
    assert run_key("germline", {"depth": 30.0}) == run_key("germline", {"depth": 30})


def test_the_gcs_name_and_key_label_are_cut_from_the_key():
    spec = execution()
    assert spec.gcs_name == "na12878-45f89397"
    assert spec.gcs_labels(STACK)["gcsapply-key"] == "v1-" + KEY_VECTORS[0][3][:40]


def test_going_back_to_an_earlier_run_key_whose_run_was_deleted_outside_does_not_relaunch():
    first, second = execution(rerun_token="a"), execution(rerun_token="b")
    first_run = live_run(first, "Succeeded", workflow=LIVE_WF)
    second_run = live_run(second, "Succeeded", workflow=LIVE_WF)
    state = _state(_entry(second, second_run, superseded=[
        {"gcs_id": first_run.id, "gcs_name": first.gcs_name, "key": first.key}]))
    result = plan(desired([WF], [first]), live([LIVE_WF], [second_run]), state)
    assert actions(result)["execution/na12878"] == ("noop", "deleted-outside")
    assert [d.observation for d in result.drift] == ["deleted-outside"]
    assert result.cost.launches == 0


def test_going_back_to_an_earlier_run_key_adopts_its_run_once_not_also_as_superseded():
    first, second = execution(rerun_token="a", deletion_policy="delete"), \
        execution(rerun_token="b", deletion_policy="delete")
    first_run = live_run(first, "Succeeded", workflow=LIVE_WF)
    second_run = live_run(second, "Succeeded", workflow=LIVE_WF)
    state = _state(_entry(second, second_run, superseded=[
        {"gcs_id": first_run.id, "gcs_name": first.gcs_name, "key": first.key}]))
    result = plan(desired([WF], [first]), live([LIVE_WF], [first_run, second_run]), state)
    assert actions(result) == {
        "execution/na12878": ("noop", None),
        f"execution/na12878#{second.gcs_name}": ("noop", "superseded"),
        "workflow/germline": ("noop", None)}


def test_a_live_run_listed_without_a_status_is_never_launched_again():
    spec = execution()
    run = live_run(spec, None, workflow=LIVE_WF)
    result = plan(desired([WF], [spec]), live([LIVE_WF], [run]))
    assert actions(result)["execution/na12878"] == ("noop", None)


def test_a_run_recorded_both_as_current_and_superseded_is_deleted_once():
    spec = execution(deletion_policy="delete")
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    entry = _entry(spec, run, superseded=[{"gcs_id": run.id, "gcs_name": run.name,
                                           "key": spec.key}])
    result = plan(desired([WF]), live([LIVE_WF], [run]), _state(entry))
    deletes = [c for c in result.changes if c.action is Action.DELETE]
    assert [(c.address, c.gcs_id) for c in deletes] == [("execution/na12878", run.id)]
