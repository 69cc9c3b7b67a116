"""``gcsapply status``: the stack's runs from one listing, as text or JSON."""

from __future__ import annotations

import json

import jsonschema
import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply.schemas import load_schema


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE,
               "a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    return gcs


def test_status_before_any_apply_says_so(gcs):
    result = gcs.run("status", gcs.root)
    assert result.code == 0
    assert "No runs are managed by this stack yet (apply first)." in result.out


def test_status_lists_each_run_with_status_jobs_start_and_duration(gcs):
    assert gcs.apply().code == 0
    gcs.clock.advance(25)
    result = gcs.run("status", gcs.root)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[1].split() == ["ADDRESS", "STATUS", "JOBS", "STARTED", "DURATION"]
    assert lines[2].split() == ["execution/a", "Succeeded", "1/1", "2026-01-01T00:00:00Z",
                                "0:00:10"]
    assert lines[-1] == "2 runs (2 finished): 2 Succeeded."
    stats = gcs.servers[-1].stats()
    assert stats["GET /v1/executions"] == 1
    assert not [key for key in stats if key.startswith("GET /v1/executions/")]


def test_status_json_follows_its_schema_and_usage_adds_peaks(gcs):
    assert gcs.apply().code == 0
    gcs.clock.advance(25)
    result = gcs.run("status", gcs.root, "--json", "--usage")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    jsonschema.validate(document, load_schema("status"))
    assert document["stack"] == "teststack"
    run = document["runs"][0]
    assert run["address"] == "execution/a" and run["status"] == "Succeeded"
    assert run["usage"]["jobs"] == 1 and run["usage"]["cpu_cores_peak"] > 0


def test_status_shows_superseded_runs_under_their_owner(gcs):
    assert gcs.apply().code == 0
    gcs.write({"a.yaml": execution("a", "s9")})
    assert gcs.apply().code == 0
    document = json.loads(gcs.run("status", gcs.root, "--json").out)
    superseded = [r for r in document["runs"] if r["superseded"]]
    assert [r["address"].split("#")[0] for r in superseded] == ["execution/a"]
