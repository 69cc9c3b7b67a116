"""Saved plans that travel, and ``apply --reviewed PLAN DIR``: a plan made in one copy of a
stack, reviewed, then applied from another copy (another checkout, a CI runner) after other
changes moved the state. Both copies talk to one emulator on one ManualClock."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from apply_harness import COHORT, ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution, names


class SharedGcs(Gcs):
    """Every command, run in any copy of the stack, talks to the first copy's emulator
    database: one GCS, as two checkouts of one repository share one project."""

    def start_emulator(self, db_path):
        return super().start_emulator(self.root / ".gcsapply" / "emulator.sqlite")


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    """Stack ``a`` (in the current directory) applied once: workflow hello, run a."""
    monkeypatch.chdir(tmp_path)
    gcs = SharedGcs(tmp_path / "a", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    return gcs


def test_a_saved_plan_holds_no_absolute_path_and_the_digest_of_every_file_read(gcs, tmp_path):
    gcs.write({"cohort.yaml": COHORT, "samples.csv": "sample_id\nn1\nn2\n",
               "README.md": "not read\n"})
    result = gcs.run("plan", "a", "--out", "plan.json")
    assert result.code == 0, result.err
    text = (tmp_path / "plan.json").read_text()
    assert str(tmp_path) not in text and os.path.realpath(tmp_path) not in text
    document = json.loads(text)
    assert [s for s in _strings(document) if os.path.isabs(s)] == []
    assert document["saved"]["stack_dir"] == "a"
    read = ["a.yaml", "cohort.yaml", "samples.csv", "stack.yaml", "templates/hello.yaml",
            "workflows.yaml"]
    assert document["saved"]["files"] == {
        name: "sha256:" + hashlib.sha256((gcs.root / name).read_bytes()).hexdigest()
        for name in read}


def test_a_saved_plan_applies_from_the_directory_it_was_made_in_by_its_relative_path(gcs):
    gcs.write({"b.yaml": execution("b", "s2")})
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    result = gcs.run("apply", "plan.json")
    assert result.code == 0, result.err
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a", "b"]


def test_applying_a_saved_plan_elsewhere_says_it_is_not_a_stack_directory_and_hints_reviewed(
        gcs, tmp_path, monkeypatch):
    gcs.write({"b.yaml": execution("b", "s2")})
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    (tmp_path / "ci" / "a").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "ci")
    result = gcs.run("apply", "../plan.json")
    assert result.code == 1
    assert result.err == (
        "error: ../plan.json: not a stack directory: the plan's stack directory 'a' (from the "
        f"current directory: {tmp_path / 'ci' / 'a'}) holds none of the 5 files the plan read "
        "(a.yaml, b.yaml, stack.yaml and 2 more)\n"
        "  hint: a saved plan names its stack directory relative to where 'gcsapply plan' ran: "
        "apply it from there, or name a copy of the stack with "
        "'gcsapply apply --reviewed ../plan.json DIR'\n")
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a"]


def test_a_reviewed_plan_applies_to_another_copy_after_an_unrelated_change_moved_the_serial(
        gcs, tmp_path):
    gcs.write({"b.yaml": execution("b", "s2")})
    copy = _copy(gcs, "b")
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    (copy / "c.yaml").write_text(execution("c", "s3"))
    unrelated = gcs.run("apply", copy, "--target", "execution/c", "--auto-approve")
    assert unrelated.code == 0, unrelated.err
    reviewed_at = json.loads((tmp_path / "plan.json").read_text())["saved"]["serial"]
    assert _serial(copy) > reviewed_at  # 'apply plan.json' would refuse it as stale

    result = gcs.run("apply", "--reviewed", "plan.json", "b")
    assert result.code == 0, result.err
    assert "Do you want" not in result.out
    assert "execution/b: create succeeded" in result.out
    assert "Apply complete: 1 succeeded, 0 failed, 0 skipped." in result.out
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a", "b", "c"]

    again = gcs.run("apply", "--reviewed", "plan.json", "b")  # a re-run of the CI job
    assert again.code == 0, again.err
    assert "No changes." in again.out and "create succeeded" not in again.out
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a", "b", "c"]


def test_a_reviewed_plan_is_refused_when_the_same_resources_manifest_changed(gcs, tmp_path):
    gcs.write({"b.yaml": execution("b", "s2")})
    copy = _copy(gcs, "b")
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    (copy / "b.yaml").write_text(execution("b", "s9"))
    result = gcs.run("apply", "--reviewed", "plan.json", "b")
    assert result.code == 1
    assert result.err == (
        "error: plan.json: the plan made now does not make the reviewed changes (3 "
        "differences); nothing was applied:\n"
        "    execution/b: gcs_name: 'b-e68d8a54' -> 'b-b6848c46'\n"
        "    execution/b: inputs.sample: 's2' -> 's9'\n"
        "    execution/b: labels.gcsapply-key: 'v1-e68d8a54540e5452b303ed121d6e43b43e913f57' -> "
        "'v1-b6848c4681f13c516e0c660a42956678495286b7'\n"
        "    files read that differ: changed b.yaml\n"
        "  hint: review the current plan: 'gcsapply plan b --out FILE', then "
        "'gcsapply apply --reviewed FILE b'\n")
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a"]


def test_a_reviewed_plan_made_against_another_target_is_refused(gcs, tmp_path):
    gcs.write({"b.yaml": execution("b", "s2")})
    _copy(gcs, "b")
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["saved"]["binding"]["project_id"] = "another-project"
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    result = gcs.run("apply", "--reviewed", "plan.json", "b")
    assert result.code == 1
    assert "stale plan: it was made against endpoint embedded, project another-project" \
        in result.err
    assert result.err.endswith("run 'gcsapply plan b --out plan.json' again\n")
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a"]


@pytest.mark.parametrize("argv, message", [
    (["--reviewed", "plan.json"],
     "error: apply --reviewed needs the stack directory to apply the plan to: "
     "'gcsapply apply --reviewed FILE DIR'\n"),
    (["--reviewed", "plan.json", "b", "--target", "execution/b"],
     "error: --target cannot change a saved plan\n"),
    (["--reviewed", "plan.json", "b", "--allow-launches", "0"],
     "error: --allow-launches cannot change a saved plan\n"),
    (["--reviewed", "plan.json", "plan.json"],
     "error: apply --reviewed applies the plan to a stack directory, and plan.json is a file: "
     "'gcsapply apply --reviewed FILE DIR'\n"),
])
def test_apply_reviewed_needs_a_plan_and_a_directory_and_takes_no_plan_option(gcs, argv,
                                                                              message):
    gcs.write({"b.yaml": execution("b", "s2")})
    _copy(gcs, "b")
    assert gcs.run("plan", "a", "--out", "plan.json").code == 0
    result = gcs.run("apply", *argv)
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(message)
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["a"]


def _copy(gcs: Gcs, name: str) -> Path:
    """Another checkout of the stack, its state included (not the emulator: GCS is shared)."""
    copy = gcs.root.parent / name
    shutil.copytree(gcs.root, copy, ignore=shutil.ignore_patterns("emulator.sqlite*"))
    return copy


def _serial(root: Path) -> int:
    return json.loads((root / ".gcsapply" / "state.json").read_text())["serial"]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
