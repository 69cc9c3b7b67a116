"""Saved plans (DESIGN §4): fingerprints, and why a fresh plan is not the saved one, with no
server; reading a damaged saved plan file. ``apply FILE`` is tested through the CLI in
``tests/commands/test_apply.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planbuild import binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry
from gcsapply.errors import StalePlanError, UsageError
from gcsapply.plan.build import PlanOptions, build_plan
from gcsapply.plan.saved import (
    ABSENT,
    compare_saved,
    plan_fingerprints,
    read_saved_plan,
    stale_plan_check,
)
from gcsapply.render.plan_text import plan_document, render_saved_plan
from gcsapply.state.file import State


def _plan(*, priority=9, extra_runs=()):
    """Workflow germline in GCS; na12878 running at priority 3 (an update to ``priority``),
    old deleted (deletionPolicy delete), hg002 to create."""
    wf = live_workflow(workflow())
    kept = execution("na12878", priority=3)
    run = live_run(kept, "Running", workflow=wf)
    gone = execution("old", deletion_policy="delete")
    gone_run = live_run(gone, "Succeeded", workflow=wf)
    state = State(binding(), "lineage-1", 4, {
        kept.address: execution_entry(kept, gcs_id=run.id),
        gone.address: execution_entry(gone, gcs_id=gone_run.id)})
    stack = desired([workflow()], [execution("na12878", priority=priority),
                                   execution("hg002", inputs={"sample": "HG002"}), *extra_runs])
    return build_plan(stack, live([wf], [run, gone_run]), state, PlanOptions())


def _saved(plan_) -> dict:
    return json.loads(render_saved_plan(plan_, stack_dir="/stack", options=PlanOptions()))


def _compare(saved: dict, fresh) -> list[str]:
    return compare_saved(saved, fresh, plan_document(fresh))


def test_a_create_is_fingerprinted_absent_and_the_workflows_changes_use_are_fingerprinted():
    prints = plan_fingerprints(_plan())
    assert set(prints) == {"execution/hg002", "execution/na12878", "execution/old",
                           "workflow/germline"}
    assert prints["execution/hg002"] == ABSENT
    assert len(prints["workflow/germline"]) == 64


def test_fingerprints_change_when_the_live_object_changes():
    wf = live_workflow(workflow())
    spec = execution(priority=9)
    before = plan(desired([workflow()], [spec]),
                  live([wf], [live_run(spec, "Running", workflow=wf, priority=1)]))
    after = plan(desired([workflow()], [spec]),
                 live([wf], [live_run(spec, "Running", workflow=wf, priority=2)]))
    assert plan_fingerprints(before)["execution/na12878"] != \
        plan_fingerprints(after)["execution/na12878"]


def test_the_same_plan_made_again_is_not_stale():
    assert _compare(_saved(_plan()), _plan()) == []


def test_a_moved_state_serial_or_lineage_makes_the_plan_stale():
    saved = _saved(_plan())
    moved = dict(saved, saved=dict(saved["saved"], serial=5, lineage="lineage-0"))
    assert _compare(moved, _plan()) == [
        "the state lineage is now lineage-1, the plan was made against lineage-0",
        "the state serial is now 4, the plan was made at serial 5"]


def test_an_object_changed_in_gcs_since_the_plan_makes_it_stale():
    saved = _saved(_plan())
    prints = dict(saved["saved"]["fingerprints"], **{"execution/old": "0" * 64})
    tampered = dict(saved, saved=dict(saved["saved"], fingerprints=prints))
    assert _compare(tampered, _plan()) == [
        "execution/old: changed in GCS since the plan was made"]


def test_changes_added_dropped_or_planned_differently_make_the_plan_stale():
    saved = _saved(_plan())
    fresh = _plan(priority=7, extra_runs=[execution("hg003", inputs={"sample": "HG003"})])
    assert _compare(saved, fresh) == [
        "execution/hg003: a change the saved plan does not contain",
        "execution/na12878: the manifests now plan a different change"]
    assert _compare(_saved(fresh), _plan()) == [
        "execution/hg003: no longer planned",
        "execution/na12878: the manifests now plan a different change"]


def test_the_stale_plan_check_raises_stale_plan_naming_the_file_and_every_problem():
    saved = _saved(_plan())
    check = stale_plan_check(Path("/tmp/plan.json"), plan_document)
    check(saved, _plan())  # the same plan passes
    moved = dict(saved, saved=dict(saved["saved"], serial=5))
    with pytest.raises(StalePlanError) as caught:
        check(moved, _plan())
    assert caught.value.render() == (
        "error: /tmp/plan.json: stale plan: the state serial is now 4, the plan was made at "
        "serial 5\n"
        "  hint: a saved plan applies at most once and only to the state it was made against; "
        "run 'gcsapply plan --out' again")


@pytest.mark.parametrize("content,message", [
    (b"\xff\xfe{}", "is neither a stack directory nor a saved plan: not UTF-8 text (byte 0)"),
    (b'{"saved": {"serial": NaN}}', "is neither a stack directory nor a saved plan: not JSON "
                                    "(NaN is not a JSON number)"),
    (b"[" * 100_000, "is neither a stack directory nor a saved plan: not JSON (nested too deeply)"),
    (b'{"saved": {"serial": 1e999}}', "not JSON (the number 1e999 is too large)"),
    (b'{"saved": "\\ud800"}', "not JSON (a string holds half of a UTF-16 surrogate pair)"),
    (b'{"format_version": "1.0"}', "is not a saved plan (no 'saved' section)"),
])
def test_a_saved_plan_file_that_cannot_be_read_is_refused_naming_the_file(tmp_path, content,
                                                                          message):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_saved_plan(path)
    assert caught.value.message.startswith(f"{path} ")
    assert message in caught.value.message


@pytest.mark.parametrize("damage,where", [
    (lambda doc: doc["saved"].update(stack_dir="relative/stack"),
     "at saved/stack_dir: 'relative/stack' is not an absolute path"),
    (lambda doc: doc["saved"].update(stack_dir="/stack\x00/x"),
     "at saved/stack_dir: '/stack\\x00/x' is not an absolute path"),
    (lambda doc: doc["changes"][0].update(after={"deep": json.loads("[" * 150 + "]" * 150)}),
     "at (top): nested more than 100 levels deep"),
    (lambda doc: doc["saved"]["fingerprints"].update({"execution/x\x1b[2J": "absent"}),
     "at saved/fingerprints: 'execution/x\\x1b[2J' is not an address"),
])
def test_a_damaged_saved_plan_is_refused_naming_the_field(tmp_path, damage, where):
    document = _saved(_plan())
    damage(document)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UsageError) as caught:
        read_saved_plan(path)
    assert caught.value.message.startswith(f"{path} is not a valid saved plan: {where}")
