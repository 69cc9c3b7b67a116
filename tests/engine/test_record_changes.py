"""How an applied change updates the inventory (state_updates), change by change."""

from __future__ import annotations

from planbuild import execution, live_run, live_workflow, workflow

from gcsapply.engine.record_changes import execution_entry, state_updates, workflow_entry
from gcsapply.plan.build import Action, Change, Reason

WF = workflow()
LIVE_WF = live_workflow(WF)


def _run_change(spec, action, *, run=None, reason=None, address=None, gcs_id=None):
    return Change(address or spec.address, "Execution", spec.name,
                  run.name if run else spec.gcs_name, gcs_id or (run.id if run else None),
                  action, reason, run.view() if run else None, None, desired=spec,
                  live=run)


def test_a_launch_records_the_run_and_moves_the_previous_key_to_superseded():
    old = execution()
    resources = {old.address: execution_entry(old, gcs_id="run-old")}
    new = execution(inputs={"sample": "X"})
    updates = state_updates(resources, _run_change(new, Action.CREATE), gcs_id="run-new",
                            workflow_id="wf-1")
    entry = updates[new.address]
    assert (entry["gcs_id"], entry["key"], entry["workflow_id"]) == ("run-new", new.key, "wf-1")
    assert entry["superseded"] == [{"gcs_id": "run-old", "gcs_name": old.gcs_name,
                                    "key": old.key}]


def test_a_launch_does_not_record_a_superseded_run_twice():
    old = execution()
    record = {"gcs_id": "run-old", "gcs_name": old.gcs_name, "key": old.key}
    resources = {old.address: execution_entry(old, gcs_id="run-old", superseded=[record])}
    new = execution(inputs={"sample": "X"})
    updates = state_updates(resources, _run_change(new, Action.CREATE), gcs_id="run-new")
    assert updates[new.address]["superseded"] == [record]


def test_a_retry_counts_an_attempt():
    spec = execution(mode="untilSucceeded")
    run = live_run(spec, "Failed", workflow=LIVE_WF)
    resources = {spec.address: execution_entry(spec, gcs_id=run.id, attempts=1)}
    updates = state_updates(resources, _run_change(spec, Action.RETRY, run=run))
    assert updates[spec.address]["attempts"] == 2


def test_a_noop_adopts_a_run_found_by_name_without_state():
    spec = execution()
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    updates = state_updates({}, _run_change(spec, Action.NOOP, run=run))
    assert updates[spec.address]["gcs_id"] == run.id
    assert updates[spec.address]["workflow_id"] == LIVE_WF.id


def test_an_unchanged_noop_updates_nothing():
    spec = execution()
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    resources = {spec.address: execution_entry(spec, gcs_id=run.id, workflow_id=LIVE_WF.id)}
    assert state_updates(resources, _run_change(spec, Action.NOOP, run=run)) == {}


def test_a_policy_change_updates_only_the_policies():
    old, spec = execution(), execution(deletion_policy="delete")
    run = live_run(spec, "Succeeded", workflow=LIVE_WF)
    resources = {spec.address: execution_entry(old, gcs_id=run.id, attempts=1)}
    entry = state_updates(resources, _run_change(spec, Action.UPDATE, run=run,
                                                 reason=Reason.POLICY_CHANGED))[spec.address]
    assert (entry["deletion_policy"], entry["attempts"]) == ("delete", 1)


def test_deleting_the_current_run_keeps_tracking_its_superseded_runs():
    spec = execution()
    resources = {spec.address: execution_entry(
        spec, gcs_id="run-2", superseded=[{"gcs_id": "run-1", "gcs_name": "x", "key": "k"}])}
    entry = state_updates(resources, _run_change(spec, Action.DELETE,
                                                 gcs_id="run-2"))[spec.address]
    assert entry["gcs_id"] is None and entry["superseded"][0]["gcs_id"] == "run-1"
    superseded = Change(f"{spec.address}#x", "Execution", spec.name, "x", "run-1",
                        Action.DELETE, Reason.REMOVED_FROM_MANIFESTS, None, None)
    assert state_updates({spec.address: entry}, superseded) == {spec.address: None}


def test_a_new_workflow_version_keeps_the_old_one_it_created():
    new = workflow(template=b"version: genecontainer_0_1\n# 2\n")
    resources = {WF.address: workflow_entry(WF, gcs_id="wf-1", created=True)}
    change = Change(WF.address, "Workflow", WF.name, new.gcs_name, None, Action.CREATE,
                    Reason.NEW_VERSION, None, None, desired=new)
    entry = state_updates(resources, change, gcs_id="wf-2")[WF.address]
    assert (entry["gcs_id"], entry["created"]) == ("wf-2", True)
    assert entry["versions"] == [{"gcs_id": "wf-1", "gcs_name": WF.gcs_name,
                                  "digest": WF.digest, "created": True}]
    delete_old = Change(f"{WF.address}#{WF.gcs_name}", "Workflow", WF.name, WF.gcs_name,
                        "wf-1", Action.DELETE, Reason.SUPERSEDED, None, None)
    assert state_updates({WF.address: entry}, delete_old)[WF.address]["versions"] == []


def test_an_adopted_workflow_is_recorded_as_not_created_here():
    change = Change(WF.address, "Workflow", WF.name, WF.gcs_name, LIVE_WF.id, Action.NOOP,
                    None, LIVE_WF.view(), None, desired=WF, live=LIVE_WF)
    entry = state_updates({}, change)[WF.address]
    assert (entry["gcs_id"], entry["created"]) == (LIVE_WF.id, False)


def test_adopting_the_run_of_an_earlier_key_takes_it_out_of_superseded():
    first, second = execution(rerun_token="a"), execution(rerun_token="b")
    first_run = live_run(first, "Succeeded", workflow=LIVE_WF)
    record = {"gcs_id": first_run.id, "gcs_name": first.gcs_name, "key": first.key}
    resources = {first.address: execution_entry(second, gcs_id="run-b", superseded=[record])}
    updates = state_updates(resources, _run_change(first, Action.NOOP, run=first_run))
    entry = updates[first.address]
    assert (entry["gcs_id"], entry["key"]) == (first_run.id, first.key)
    assert entry["superseded"] == [{"gcs_id": "run-b", "gcs_name": second.gcs_name,
                                    "key": second.key}]
