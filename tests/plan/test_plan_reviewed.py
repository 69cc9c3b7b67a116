"""``apply --reviewed``: what "the same changes" means, with no server (DESIGN §4). Through
the CLI in ``tests/commands/test_apply_reviewed.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planbuild import binding, desired, execution, live, live_run, live_workflow, workflow

from gcsapply.engine.record_changes import execution_entry
from gcsapply.errors import PlanChangedError, StalePlanError
from gcsapply.plan.build import PlanOptions, build_plan
from gcsapply.plan.reviewed import compare_reviewed, files_differences, reviewed_plan_check
from gcsapply.plan.saved import compare_saved
from gcsapply.render.plan_text import plan_document, render_saved_plan
from gcsapply.state.file import State

FILES = {"a.yaml": "sha256:" + "1" * 64, "b.yaml": "sha256:" + "2" * 64}


def _reviewed(plan_, files=FILES) -> dict:
    return json.loads(render_saved_plan(plan_, stack_dir="stack", files=files,
                                        options=PlanOptions()))


def _update(live_priority: int, *, serial: int = 4, lineage: str = "lineage-1"):
    """na12878 running at ``live_priority``, to be updated to priority 9."""
    wf = live_workflow(workflow())
    spec = execution(priority=9)
    run = live_run(spec, "Running", workflow=wf, priority=live_priority)
    state = State(binding(), lineage, serial, {spec.address: execution_entry(spec, gcs_id=run.id)})
    return build_plan(desired([workflow()], [spec]), live([wf], [run]), state, PlanOptions())


def _creates(*specs):
    wf = live_workflow(workflow())
    return build_plan(desired([workflow()], list(specs)), live([wf]), State.empty(),
                      PlanOptions())


def test_the_same_changes_after_the_state_and_the_live_objects_moved_are_accepted():
    reviewed, now = _update(3), _update(5, serial=9, lineage="lineage-2")
    assert compare_saved(_reviewed(reviewed), now, plan_document(now)) != []  # apply FILE refuses
    assert compare_reviewed(_reviewed(reviewed), plan_document(now)) == []
    reviewed_plan_check(Path("plan.json"), Path("stack"), plan_document, dict)(
        _reviewed(reviewed), now)


def test_an_address_only_in_one_of_the_plans_is_named_with_its_action():
    reviewed = _creates(execution("hg002", inputs={"sample": "HG002"}))
    now = _creates(execution("hg003", inputs={"sample": "HG003"}))
    assert compare_reviewed(_reviewed(reviewed), plan_document(now)) == [
        "execution/hg003: only in the current plan (create)"]  # hg002 is in effect already


def test_another_action_on_another_object_is_named():
    reviewed, now = _creates(execution(priority=9)), _update(3)
    differences = compare_reviewed(_reviewed(reviewed), plan_document(now))
    assert differences[0] == "execution/na12878: action differs: create -> update"
    assert differences[1].startswith("execution/na12878: acts on another GCS object: "
                                     "'na12878-")
    assert "(no id) -> 'na12878-" in differences[1]


def test_a_plan_whose_reviewed_changes_are_in_effect_leaves_nothing_to_do():
    """A re-run of the CI job that applied it: nothing differs, nothing is left to apply."""
    applied = _update(9)
    assert [c.action for c in applied.actionable()] == []
    assert compare_reviewed(_reviewed(_update(3)), plan_document(applied)) == []


def test_the_part_of_a_reviewed_plan_still_to_do_is_accepted_and_nothing_else():
    reviewed = _creates(execution("hg002", inputs={"sample": "HG002"}),
                        execution("hg003", inputs={"sample": "HG003"}))
    left = _creates(execution("hg003", inputs={"sample": "HG003"}))
    assert compare_reviewed(_reviewed(reviewed), plan_document(left)) == []
    more = _creates(execution("hg003", inputs={"sample": "HG003"}),
                    execution("hg004", inputs={"sample": "HG004"}))
    assert compare_reviewed(_reviewed(reviewed), plan_document(more)) == [
        "execution/hg004: only in the current plan (create)"]


def test_differences_are_capped_values_escaped_and_the_files_that_differ_explained():
    reviewed = _creates(*[execution(f"s{i:02}", inputs={"sample": f"S{i}"}) for i in range(25)])
    now = _creates(*[execution(f"s{i:02}", inputs={"sample": f"T{i}\x1b[2J"})
                     for i in range(25)])
    files_now = {"a.yaml": "sha256:" + "9" * 64, "c.csv": "sha256:" + "3" * 64}
    check = reviewed_plan_check(Path("plan.json"), Path("../b"), plan_document, lambda: files_now)
    with pytest.raises(PlanChangedError) as caught:
        check(_reviewed(reviewed), now)
    assert isinstance(caught.value, StalePlanError)
    lines = caught.value.message.splitlines()
    assert lines[0] == ("the plan made now does not make the reviewed changes (75 differences); "
                        "nothing was applied:")
    assert lines[2] == "    execution/s00: inputs.sample: 'S0' -> 'T0\\x1b[2J'"
    assert lines[-2:] == ["    and 55 more",
                          "    files read that differ: changed a.yaml; added c.csv; removed b.yaml"]
    assert len(lines) == 1 + 20 + 2
    assert "\x1b" not in caught.value.message
    assert caught.value.hint == ("review the current plan: 'gcsapply plan ../b --out FILE', then "
                                 "'gcsapply apply --reviewed FILE ../b'")


def test_files_that_did_not_change_are_no_explanation():
    assert files_differences(FILES, dict(FILES)) is None
