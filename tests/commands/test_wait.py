"""``gcsapply wait DIR``: wait for the stack's current runs and exit 0 only when all succeeded.

Through the real CLI against the embedded emulator on a ManualClock: the wait's own sleeps move
the clock, and the emulator's runs finish as it moves (``job_seconds`` per job)."""

from __future__ import annotations

import functools
import json
import os
import signal

import pytest
from apply_harness import ECHO_TEMPLATE, FAILING_TEMPLATE, STACK, WORKFLOW, Gcs, execution
from jsonschema import Draft202012Validator

from gcsapply.commands import wait as wait_command
from gcsapply.schemas import load_schema


@pytest.fixture
def make_gcs(tmp_path, monkeypatch, capsys):
    """``make_gcs(**emulator_options)``: a stack with the ``hello`` workflow, and ``wait`` wired
    to the test's clock and emulator like the other commands."""

    def make(**options) -> Gcs:
        gcs = Gcs(tmp_path / "stack", monkeypatch, capsys, **options)
        gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
                   "templates/hello.yaml": ECHO_TEMPLATE})
        monkeypatch.setattr(wait_command, "run", functools.partial(
            wait_command.run, clock=gcs.clock, emulator_factory=gcs.start_emulator))
        return gcs

    return make


@pytest.fixture
def gcs(make_gcs) -> Gcs:
    return make_gcs()


def wait(gcs: Gcs, *extra: str):
    return gcs.run("wait", gcs.root, *extra)


def test_wait_exits_0_once_every_run_of_the_stack_has_succeeded(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    result = wait(gcs)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("Target: embedded emulator")
    assert lines[1] == "Waiting for 2 run(s); Ctrl-C stops waiting, never the runs."
    assert any(line.endswith("execution/b: Succeeded, 1/1 jobs") for line in lines)
    assert lines[-1] == "All 2 run(s) succeeded."
    assert {run["execution"]["status"] for run in gcs.executions()} == {"Succeeded"}


def test_wait_polls_the_executions_list_once_per_poll_and_never_gets_runs_one_by_one(gcs):
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(5)})
    assert gcs.apply().code == 0
    assert wait(gcs).code == 0
    stats = gcs.servers[-1].stats()  # the emulator the wait started
    assert not [key for key in stats if key.startswith("GET /v1/executions/")]
    assert 1 <= stats["GET /v1/executions"] < 10


def test_wait_exits_1_when_a_run_fails_and_points_at_status(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1"),
               "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    result = wait(gcs)
    assert result.code == 1
    assert result.err == (
        "error: 2 run(s) did not succeed: execution/a (Failed), execution/b (Failed)\n"
        f"  hint: see 'gcsapply status {gcs.root}'; runs under runPolicy untilSucceeded are "
        "retried by the next apply\n")
    assert "succeeded." not in result.out


def test_a_run_that_had_already_failed_before_the_wait_fails_it_at_once(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1")})
    assert gcs.apply("--wait").code == 1  # the run failed while this apply waited
    before = gcs.clock.now()
    result = wait(gcs)
    assert result.code == 1
    assert "1 run(s) did not succeed: execution/a (Failed)" in result.err
    assert gcs.clock.now() == before  # one look, no sleeping: nothing was left to wait for


def test_wait_exits_1_when_the_timeout_passes_and_leaves_the_runs_running(make_gcs):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    result = wait(gcs, "--timeout", "30s")
    assert result.code == 1
    assert result.err == (
        "error: timed out after 30s with 1 of 1 runs unfinished; runs continue in GCS\n"
        f"  hint: follow them with 'gcsapply status {gcs.root}'\n")
    [run] = gcs.executions()
    assert run["execution"]["status"] in ("Pending", "Running")


def test_json_prints_each_run_and_the_verdict_and_nothing_else_on_stdout(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    result = wait(gcs, "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    Draft202012Validator(load_schema("wait")).validate(document)
    names = {item["execution"]["name"] for item in gcs.executions()}
    assert document["verdict"] == "succeeded" and document["stack"] == "teststack"
    assert [(run["address"], run["status"], run["jobs_done"], run["jobs_total"])
            for run in document["runs"]] == [("execution/a", "Succeeded", 1, 1),
                                             ("execution/b", "Succeeded", 1, 1)]
    assert {run["gcs_name"] for run in document["runs"]} == names
    assert "Waiting for 2 run(s)" in result.err  # the progress goes to stderr


def test_json_of_a_failed_run_says_failed_and_exits_1(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    result = wait(gcs, "--json")
    assert result.code == 1
    document = json.loads(result.out)
    Draft202012Validator(load_schema("wait")).validate(document)
    assert document["verdict"] == "failed"
    assert [(run["address"], run["status"]) for run in document["runs"]] == [("execution/a", "Failed")]
    assert "1 run(s) did not succeed: execution/a (Failed)" in result.err


def test_json_of_a_timeout_says_timed_out(make_gcs):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    result = wait(gcs, "--json", "--timeout", "1m")
    assert result.code == 1
    document = json.loads(result.out)
    assert (document["verdict"], document["elapsed_s"]) == ("timed-out", 60)
    assert document["runs"][0]["status"] in ("Pending", "Running")


def test_a_stack_with_no_runs_says_so_and_exits_0(gcs):
    result = wait(gcs)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "No runs in this stack: nothing to wait for."
    as_json = wait(gcs, "--json")
    assert as_json.code == 0
    assert json.loads(as_json.out) == {"format_version": "1.0", "stack": "teststack",
                                       "verdict": "succeeded", "elapsed_s": 0, "runs": []}


def test_a_superseded_run_that_failed_is_not_waited_for(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1")})
    assert gcs.apply("--wait").code == 1
    gcs.write({"templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s2")})
    assert gcs.apply().code == 0  # a new run key: the failed run is superseded
    result = wait(gcs)
    assert result.code == 0, result.err
    assert "Waiting for 1 run(s)" in result.out
    assert sorted(run["execution"]["status"] for run in gcs.executions()) == ["Failed", "Succeeded"]


def test_a_run_the_manifests_ask_cancelled_is_not_a_failure(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    gcs.write({"b.yaml": execution("b", "s2", extra="desiredState: cancelled\n")})
    assert "execution/b: cancel succeeded" in gcs.apply().out  # before the clock moved
    result = wait(gcs, "--json")
    assert result.code == 0, result.err
    assert [run["address"] for run in json.loads(result.out)["runs"]] == ["execution/a"]
    assert sorted(run["execution"]["status"] for run in gcs.executions()) == ["Cancelled", "Succeeded"]


def test_ctrl_c_stops_waiting_and_never_the_runs(make_gcs, monkeypatch):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    original_sleep = gcs.clock.sleep

    def sleep(seconds):  # Ctrl-C arrives while the wait sleeps between two polls
        original_sleep(seconds)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(gcs.clock, "sleep", sleep)
    result = wait(gcs)
    assert result.code == 130
    assert result.err.endswith("error: stopped waiting; runs continue in GCS\n"
                               f"  hint: follow them with 'gcsapply status {gcs.root}'\n")
    monkeypatch.setattr(gcs.clock, "sleep", original_sleep)
    [run] = gcs.executions()
    assert run["execution"]["status"] in ("Pending", "Running")
