"""``gcsapply outputs``: a run's result paths."""

from __future__ import annotations

import json

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply import cli


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1"),
               "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    gcs.clock.advance(25)
    return gcs


def test_outputs_prints_the_result_paths_per_job(gcs):
    result = gcs.run("outputs", gcs.root, "execution/a")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("execution/a (a-") and lines[0].endswith(", Succeeded)")
    assert lines[1:] == ["  result:", "    s1/hello.txt"]


def test_outputs_json(gcs):
    result = gcs.run("outputs", gcs.root, "execution/a", "--json")
    document = json.loads(result.out)
    assert document["status"] == "Succeeded"
    assert document["outputs"] == {"result": ["s1/hello.txt"]}


def test_outputs_of_an_unknown_address_names_the_known_ones(gcs):
    result = gcs.run("outputs", gcs.root, "execution/zz")
    assert result.code == 1
    assert result.err == ("error: no run at 'execution/zz' in the state\n"
                          "  hint: runs in the state: execution/a, execution/b\n")


def test_outputs_of_a_mistyped_address_suggests_the_close_one(gcs):
    result = gcs.run("outputs", gcs.root, "execution/aa")
    assert result.code == 1
    assert result.err == ("error: no run at 'execution/aa' in the state\n"
                          "  hint: did you mean execution/a?\n")


def test_outputs_of_a_bare_name_or_a_workflow_suggests_the_run_address(gcs):
    bare = gcs.run("outputs", gcs.root, "b")
    assert bare.err == "error: no run at 'b' in the state\n  hint: did you mean execution/b?\n"
    workflow = gcs.run("outputs", gcs.root, "workflow/a")
    assert workflow.err == ("error: no run at 'workflow/a' in the state\n"
                            "  hint: a run's address starts with execution/; did you mean "
                            "execution/a?\n")


def test_outputs_without_a_directory_reads_the_stack_in_the_current_directory(gcs, monkeypatch):
    monkeypatch.chdir(gcs.root)
    result = gcs.run("outputs", "execution/a")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == ["  result:", "    s1/hello.txt"]


def test_outputs_usage_is_an_optional_directory_and_one_address(capsys):
    assert cli.main(["outputs", "--help"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == \
        "usage: gcsapply outputs [-h] [--debug] [--json] [DIR] ADDR"


def test_outputs_with_a_third_argument_points_at_its_own_help(gcs):
    result = gcs.run("outputs", gcs.root, "execution/a", "extra")
    assert result.code == 1
    assert result.err == ("error: unrecognized arguments: extra\n"
                          "  hint: run 'gcsapply outputs --help' for usage\n")
