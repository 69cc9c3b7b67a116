"""``gcsapply outputs``: a run's result paths."""

from __future__ import annotations

import json

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
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
    assert "no run at 'execution/zz'" in result.err
    assert "execution/a" in result.err
