"""Ownership (DESIGN §3), with no server: a run is the stack's only if its state launched or
adopted it; other labelled runs are foreign-run warnings, runs sharing a name are drift."""

from __future__ import annotations

from planbuild import (
    STACK,
    actions,
    binding,
    desired,
    execution,
    live,
    live_run,
    live_workflow,
    perfect_apply,
    plan,
    workflow,
)

from gcsapply.engine.record_changes import execution_entry
from gcsapply.plan.build import Drift, PlanWarning
from gcsapply.state.file import State

WF = workflow()
LIVE_WF = live_workflow(WF)
OURS = "a1a1a1a1-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
THEIRS = "b2b2b2b2-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
OTHERS = "c3c3c3c3-cccc-4ccc-8ccc-cccccccccccc"
ALPHA, BRAVO = execution("sample1", inputs={"sample": "ALPHA"}), \
    execution("sample1", inputs={"sample": "BRAVO"}, deletion_policy="delete")


def _run(spec, lineage=None, status="Succeeded", **overrides):
    return live_run(spec, status, workflow=LIVE_WF, labels=spec.gcs_labels(STACK, lineage),
                    **overrides)


def _state(*entries, lineage=OURS) -> State:
    return State(binding(), lineage, 3, {f"execution/{e['name']}": e for e in entries})


def _entry(spec, run, **overrides) -> dict:
    entry = execution_entry(spec, gcs_id=run.id, workflow_id=LIVE_WF.id)
    entry.update(overrides)
    return entry


def _foreign(count_by_lineage: dict) -> tuple:
    return tuple(PlanWarning(
        f"stack/{STACK}", "foreign-run",
        f"another stack named {STACK}, lineage {lineage}, has {count} run"
        f"{'s' if count != 1 else ''} in this project; rename one of the stacks")
        for lineage, count in count_by_lineage.items())


def test_a_labelled_run_of_another_key_is_a_foreign_run_not_a_superseded_one():
    theirs = _run(ALPHA, THEIRS)
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [theirs]))
    assert actions(result) == {"execution/sample1": ("create", "new"),
                               "workflow/germline": ("noop", None)}
    assert result.warnings == _foreign({"b2b2b2b2": 1})
    assert all(c.gcs_id != theirs.id for c in result.changes)


def test_another_lineages_run_is_never_deleted_when_this_stack_removes_its_manifest():
    ours, theirs = _run(BRAVO, OURS), _run(ALPHA, THEIRS)
    state = _state(_entry(BRAVO, ours))
    result = plan(desired([WF]), live([LIVE_WF], [ours, theirs]), state)
    assert actions(result) == {"execution/sample1": ("delete", "removed-from-manifests"),
                               "workflow/germline": ("noop", None)}
    assert result.change("execution/sample1").gcs_id == ours.id
    assert result.warnings == _foreign({"b2b2b2b2": 1})


def test_destroy_deletes_nothing_of_another_lineage():
    ours, theirs = _run(BRAVO, OURS), _run(ALPHA, THEIRS)
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [ours, theirs]),
                  _state(_entry(BRAVO, ours)), destroy=True)
    deleted = [c.gcs_id for c in result.changes if str(c.action) == "delete"]
    assert deleted == [ours.id]
    assert result.warnings == _foreign({"b2b2b2b2": 1})


def test_foreign_runs_are_counted_in_one_warning_per_lineage():
    runs = [_run(execution("a", inputs={"sample": "1"}), THEIRS),
            _run(execution("b", inputs={"sample": "2"}), THEIRS),
            _run(execution("c", inputs={"sample": "3"}), OTHERS)]
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], runs), _state())
    assert result.warnings == _foreign({"b2b2b2b2": 2, "c3c3c3c3": 1})


def test_a_labelled_run_without_a_lineage_label_counts_as_foreign_with_an_unknown_lineage():
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [_run(ALPHA, None)]), _state())
    assert result.warnings == _foreign({"unknown": 1})


def test_a_run_of_this_states_own_lineage_that_it_forgot_is_left_alone_in_silence():
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [_run(ALPHA, OURS)]), _state())
    assert result.warnings == ()
    assert actions(result)["execution/sample1"] == ("create", "new")


def test_a_run_of_another_stack_name_is_not_counted():
    other = live_run(ALPHA, "Succeeded", workflow=LIVE_WF, stack_name="another-stack")
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [other]), _state())
    assert result.warnings == ()


def test_a_superseded_run_the_state_recorded_stays_ours_whatever_its_lineage_label():
    old, new = _run(ALPHA, THEIRS), _run(BRAVO, OURS, status="Running")
    entry = _entry(BRAVO, new, superseded=[{"gcs_id": old.id, "gcs_name": old.name,
                                            "key": ALPHA.key}])
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [old, new]), _state(entry))
    assert actions(result)[f"execution/sample1#{old.name}"] == ("noop", "superseded")
    assert result.warnings == ()


def test_a_lost_state_adopts_exactly_the_wanted_run_whatever_its_lineage():
    wanted, unwanted = _run(BRAVO, THEIRS, status="Running"), _run(ALPHA, THEIRS)
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [wanted, unwanted]))
    assert actions(result) == {"execution/sample1": ("noop", None),
                               "workflow/germline": ("noop", None)}
    assert result.change("execution/sample1").gcs_id == wanted.id
    assert result.warnings == _foreign({"b2b2b2b2": 1})


def test_a_perfect_apply_after_a_lost_state_records_the_wanted_run_and_nothing_foreign():
    wanted, unwanted = _run(BRAVO, THEIRS, status="Running"), _run(ALPHA, THEIRS)
    live_state = live([LIVE_WF], [wanted, unwanted])
    _, state = perfect_apply(plan(desired([WF], [BRAVO]), live_state), live_state,
                             State.empty())
    entry = state.resources["execution/sample1"]
    assert (entry["gcs_id"], entry["superseded"]) == (wanted.id, [])


def test_runs_sharing_a_name_and_our_labels_are_drift_naming_both_and_change_nothing():
    first = _run(BRAVO, OURS, status="Running", create_at="2026-01-01T00:00:00Z")
    second = _run(BRAVO, OURS, status="Running", id="ffffffff-0000-4000-8000-000000000002",
                  create_at="2026-01-01T00:00:01Z")
    state = _state(_entry(BRAVO, first))
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [first], duplicates={
        BRAVO.gcs_name: (first, second)}), state)
    assert not result.has_changes()
    assert result.drift == (Drift(
        "execution/sample1", "duplicate-run",
        f"2 runs are named {BRAVO.gcs_name} with this stack's labels: {first.id}, {second.id}; "
        f"plan follows {first.id} and leaves {second.id} alone (launched twice outside this "
        "plan: delete the extra run in GCS if it is not wanted)"),)
    assert result.warnings == ()


def test_duplicates_of_a_lost_states_run_adopt_the_one_listed_and_launch_nothing():
    first = _run(BRAVO, OURS, status="Running", create_at="2026-01-01T00:00:00Z")
    second = _run(BRAVO, OURS, status="Running", id="ffffffff-0000-4000-8000-000000000002",
                  create_at="2026-01-01T00:00:01Z")
    result = plan(desired([WF], [BRAVO]), live([LIVE_WF], [first], duplicates={
        BRAVO.gcs_name: (first, second)}))
    assert actions(result)["execution/sample1"] == ("noop", None)
    assert [d.observation for d in result.drift] == ["duplicate-run"]


def test_duplicates_of_a_superseded_run_are_drift_at_its_address_and_are_not_deleted_twice():
    old = _run(ALPHA, OURS, create_at="2026-01-01T00:00:00Z")
    twin = _run(ALPHA, OURS, id="ffffffff-0000-4000-8000-000000000003",
                create_at="2026-01-01T00:00:01Z")
    new = _run(BRAVO, OURS, status="Running")
    entry = _entry(BRAVO, new, deletion_policy="delete",
                   superseded=[{"gcs_id": old.id, "gcs_name": old.name, "key": ALPHA.key}])
    result = plan(desired([WF]), live([LIVE_WF], [old, new], duplicates={
        old.name: (old, twin)}), _state(entry))
    assert [d.address for d in result.drift] == [f"execution/sample1#{old.name}"]
    deleted = sorted(c.gcs_id for c in result.changes if str(c.action) == "delete")
    assert deleted == sorted([old.id, new.id])
    assert result.warnings == ()


def test_foreign_run_warnings_stay_under_target_and_duplicate_drift_follows_its_address():
    other = execution("other", inputs={"sample": "O"})
    first = _run(BRAVO, OURS, status="Running", create_at="2026-01-01T00:00:00Z")
    second = _run(BRAVO, OURS, status="Running", id="ffffffff-0000-4000-8000-000000000002",
                  create_at="2026-01-01T00:00:01Z")
    live_state = live([LIVE_WF], [first, _run(ALPHA, THEIRS, name="sample1-0badc0de")],
                      duplicates={BRAVO.gcs_name: (first, second)})
    state = _state(_entry(BRAVO, first))
    result = plan(desired([WF], [BRAVO, other]), live_state, state,
                  targets=("execution/other",))
    assert result.warnings == _foreign({"b2b2b2b2": 1})
    assert result.drift == ()
