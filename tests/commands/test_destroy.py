"""``gcsapply destroy``: forget what is retained, delete what may be deleted."""

from __future__ import annotations

import json

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution, names


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE,
               "kept.yaml": execution("kept", "s1"),
               "scratch.yaml": execution("scratch", "s2", extra="deletionPolicy: delete\n")})
    assert gcs.apply().code == 0
    return gcs


def test_destroy_deletes_runs_under_deletion_policy_delete_and_forgets_the_rest(gcs):
    result = gcs.run("destroy", gcs.root, "--auto-approve")
    assert result.code == 0, result.err
    assert "execution/scratch: delete succeeded" in result.out
    assert "execution/kept: forget succeeded" in result.out
    assert "Destroy complete: " in result.out
    assert [n.split("-")[0] for n in names(gcs.executions())] == ["kept"]
    state = json.loads(gcs.run("state", "list", gcs.root, "--json").out)
    assert [r["address"] for r in state["resources"]
            if r["address"].startswith("execution/")] == []


def test_destroy_include_retained_deletes_every_run_and_the_workflow(gcs):
    result = gcs.run("destroy", gcs.root, "--auto-approve", "--include-retained")
    assert result.code == 0, result.err
    assert gcs.executions() == []
    assert gcs.workflows() == []
    assert json.loads(gcs.run("state", "list", gcs.root, "--json").out)["resources"] == []


def test_destroy_without_a_terminal_needs_auto_approve(gcs):
    result = gcs.run("destroy", gcs.root)
    assert result.code == 1
    assert result.err == (
        "error: destroy needs --auto-approve when stdin is not a terminal\n"
        f"  hint: review the plan above, then run 'gcsapply destroy {gcs.root} --auto-approve'\n")
    assert len(gcs.executions()) == 2
