"""``gcsapply apply`` as a user meets it: the question, saved-plan rules, the examples."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    return gcs


def test_apply_asks_and_only_yes_approves(gcs, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("yes please\n"))
    refused = gcs.run("apply", gcs.root)
    assert refused.code == 1
    assert "Do you want to perform these actions?\n  Only 'yes' will be accepted to approve." \
        in refused.out
    assert refused.out.rstrip().endswith("Apply cancelled.")
    assert gcs.executions() == []
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    approved = gcs.run("apply", gcs.root)
    assert approved.code == 0, approved.err
    assert "Apply complete: 2 succeeded, 0 failed, 0 skipped." in approved.out
    assert len(gcs.executions()) == 1


def test_a_saved_plan_applies_without_a_question_and_takes_no_plan_options(gcs, tmp_path):
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    refused = gcs.run("apply", saved, "--target", "execution/a")
    assert refused.code == 1
    assert "--target cannot change a saved plan" in refused.err
    applied = gcs.run("apply", saved)
    assert applied.code == 0, applied.err
    assert "Apply complete" in applied.out


def test_a_file_that_is_not_a_saved_plan_is_refused(gcs, tmp_path):
    other = tmp_path / "notes.json"
    other.write_text('{"hello": 1}')
    result = gcs.run("apply", other)
    assert result.code == 1
    assert result.err == (
        f"error: {other} is not a saved plan (no 'saved' section)\n"
        "  hint: apply takes a stack directory, or a plan saved by 'gcsapply plan' with --out\n")


@pytest.mark.parametrize("damage", [
    lambda plan: plan["saved"].update(options="everything"),
    lambda plan: plan["saved"].update(stack_dir=123),
    lambda plan: plan.update(changes="garbage"),
    lambda plan: plan.update(changes=[{"action": "create"}]),
])
def test_a_damaged_saved_plan_is_refused_clearly_and_launches_nothing(gcs, tmp_path, damage):
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    plan = json.loads(saved.read_text())
    damage(plan)
    saved.write_text(json.dumps(plan))
    result = gcs.run("apply", saved)
    assert result.code == 1
    assert "is not a valid saved plan: at " in result.err
    assert "internal error" not in result.err
    assert gcs.executions() == []


def test_a_saved_plan_made_against_another_target_is_refused_as_stale(gcs, tmp_path):
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    plan = json.loads(saved.read_text())
    plan["saved"]["binding"]["project_id"] = "another-project"
    saved.write_text(json.dumps(plan))
    result = gcs.run("apply", saved)
    assert result.code == 1
    assert result.err.endswith(
        "stale plan: it was made against endpoint embedded, project another-project, stack "
        "teststack, but the stack now targets endpoint embedded, project "
        "0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, stack teststack\n"
        "  hint: a saved plan applies only to the target it was made against; run "
        f"'gcsapply plan {os.path.relpath(gcs.root)} --out {saved}' again\n")
    assert gcs.executions() == []


def test_parallelism_outside_1_to_64_is_a_usage_error(gcs):
    result = gcs.apply("--parallelism", "65")
    assert result.code == 1
    assert "--parallelism must be between 1 and 64, not 65" in result.err


def test_every_example_manifest_applies_and_then_plans_empty(tmp_path, monkeypatch, capsys):
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
    gcs = Gcs(root, monkeypatch, capsys)
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "0 failed, 0 skipped" in result.out
    assert len(gcs.executions()) == 4
    assert gcs.plan_exitcode() == 0
