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
    replan_command,
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


FILES = {"stack.yaml": "sha256:" + "1" * 64, "templates/germline.yaml": "sha256:" + "2" * 64}


def _saved(plan_) -> dict:
    return json.loads(render_saved_plan(plan_, stack_dir="stack", files=FILES,
                                        options=PlanOptions()))


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
        "run 'gcsapply plan stack --out /tmp/plan.json' again")


def test_the_replan_hint_quotes_the_stack_directory_and_the_file_for_a_shell():
    saved = json.loads(render_saved_plan(_plan(), stack_dir="../my stack", files=FILES,
                                         options=PlanOptions()))
    assert replan_command(saved, Path("tonight's plan.json")) == \
        """'gcsapply plan '../my stack' --out 'tonight'"'"'s plan.json''"""


def test_a_workflow_fingerprinted_only_because_a_change_uses_it_is_not_named_when_it_did_not_change():
    wf = live_workflow(workflow())

    def one_update(priority):
        spec = execution(priority=9)
        return plan(desired([workflow()], [spec]),
                    live([wf], [live_run(spec, "Running", workflow=wf, priority=priority)]))

    updated, settled = one_update(3), one_update(9)
    assert set(plan_fingerprints(updated)) == {"execution/na12878", "workflow/germline"}
    assert _compare(_saved(updated), settled) == ["execution/na12878: no longer planned"]
    assert _compare(_saved(settled), updated) == [
        "execution/na12878: a change the saved plan does not contain"]


def test_an_address_that_changed_in_more_than_one_way_is_named_once():
    saved = _saved(_plan())
    prints = dict(saved["saved"]["fingerprints"], **{"execution/na12878": "0" * 64})
    tampered = dict(saved, saved=dict(saved["saved"], fingerprints=prints))
    assert _compare(tampered, _plan(priority=7)) == [
        "execution/na12878: changed in GCS since the plan was made"]


def test_a_plan_whose_changes_were_all_applied_says_so_once_and_names_no_address():
    wf = live_workflow(workflow())
    specs = [execution(f"s{i}", inputs={"sample": f"S{i}"}) for i in range(3)]
    before = build_plan(desired([workflow()], specs), live([wf], []), State.empty(),
                        PlanOptions())
    runs = [live_run(spec, "Running", workflow=wf) for spec in specs]
    state = State(binding(), "lineage-1", 1, {
        spec.address: execution_entry(spec, gcs_id=run.id) for spec, run in zip(specs, runs, strict=True)})
    after = build_plan(desired([workflow()], specs), live([wf], runs), state, PlanOptions())
    assert _compare(_saved(before), after) == [
        "the state lineage is now lineage-1, the plan was made before the stack's first apply",
        "the state serial is now 1, the plan was made at serial 0",
        "none of its 3 changes is planned any more (it was applied, or the same changes were)"]


def test_a_stale_plan_names_at_most_ten_problems_and_counts_the_rest():
    wf = live_workflow(workflow())
    specs = [execution(f"s{i:02}", inputs={"sample": f"S{i}"}) for i in range(12)]
    saved = _saved(build_plan(desired([workflow()], specs), live([wf], []), State.empty(),
                              PlanOptions()))
    changed = [execution(f"s{i:02}", inputs={"sample": f"T{i}"}) for i in range(12)]
    fresh = build_plan(desired([workflow()], changed), live([wf], []), State.empty(),
                       PlanOptions())
    with pytest.raises(StalePlanError) as caught:
        stale_plan_check(Path("/tmp/plan.json"), plan_document)(saved, fresh)
    assert caught.value.message == "stale plan: " + "; ".join(
        [f"execution/s{i:02}: the manifests now plan a different change" for i in range(10)]
        + ["and 2 more"])


@pytest.mark.parametrize("name, content, message", [
    ("plan.json", b"\xff\xfe{}", "is not a saved plan: not UTF-8 text (byte 0)"),
    ("plan.json", b'{"saved": {"serial": NaN}}',
     "is not a saved plan: not JSON (NaN is not a JSON number)"),
    ("plan.json", b"[" * 100_000, "is not a saved plan: not JSON (nested too deeply)"),
    ("plan.json", b'{"saved": {"serial": 1e999}}',
     "is not a saved plan: not JSON (the number 1e999 is too large)"),
    ("plan.json", b'{"saved": "\\ud800"}',
     "is not a saved plan: not JSON (a string holds half of a UTF-16 surrogate pair)"),
    ("plan.json", b'{"format_version": "1.0"}', "is not a saved plan (no 'saved' section)"),
    ("plan.json", b'{"format_version": "1.0",\n  "saved": {', "is not a saved plan: its JSON "
                                                             "is cut short or damaged at line 2, "
                                                             "column 13"),
    ("plan.json", b"", "is not a saved plan: it is empty"),
    ("notes.txt", b"remember the milk\n", "is not a saved plan: it is not JSON"),
    ("stack.yaml", b"apiVersion: gcsapply/v1\nkind: Stack\n",
     "is not a saved plan: it is a YAML file (a saved plan is JSON)"),
    ("flow.yml", b"{apiVersion: gcsapply/v1}\n",
     "is not a saved plan: it is a YAML file (a saved plan is JSON)"),
])
def test_a_saved_plan_file_that_cannot_be_read_is_refused_naming_the_file(tmp_path, name,
                                                                          content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_saved_plan(path)
    assert caught.value.message == f"{path} {message}"
    assert "Expecting" not in caught.value.message


def test_the_hint_for_a_yaml_file_names_its_directory_and_for_anything_else_what_apply_takes(
        tmp_path):
    manifest, other = tmp_path / "stack.yaml", tmp_path / "notes.txt"
    manifest.write_text("kind: Stack\n")
    other.write_text("notes\n")
    with pytest.raises(UsageError) as caught:
        read_saved_plan(manifest)
    assert caught.value.hint == (
        f"to apply the stack this manifest is part of, give its directory: 'gcsapply apply "
        f"{tmp_path}'; a saved plan is the file 'gcsapply plan {tmp_path} --out FILE' writes")
    with pytest.raises(UsageError) as caught:
        read_saved_plan(other)
    assert caught.value.hint == \
        "apply takes a stack directory, or a plan saved by 'gcsapply plan' with --out"


@pytest.mark.parametrize("damage,where", [
    (lambda doc: doc["saved"].update(stack_dir="/home/me/stack"),
     "at saved/stack_dir: '/home/me/stack' is an absolute path; a saved plan names its stack "
     "directory relative to where 'gcsapply plan' ran"),
    (lambda doc: doc["saved"].update(stack_dir="stack\x00/x"),
     "at saved/stack_dir: 'stack\\x00/x' is not a path (it holds a NUL byte)"),
    (lambda doc: doc["saved"]["files"].update({"/etc/passwd": "sha256:" + "0" * 64}),
     "at saved/files: '/etc/passwd' is not a path inside the stack directory"),
    (lambda doc: doc["saved"]["files"].update({"../x.yaml": "sha256:" + "0" * 64}),
     "at saved/files: '../x.yaml' is not a path inside the stack directory"),
    (lambda doc: doc["saved"]["files"].update({"a.yaml": "0" * 64}),
     "at saved/files/a.yaml: '"),
    (lambda doc: doc["saved"].pop("files"),
     "at saved: 'files' is a required property"),
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
