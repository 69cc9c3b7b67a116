"""``apply --wait``: follow launched runs by polling the list, with a progress display."""

from __future__ import annotations

import os
import re
import signal

import pytest
from apply_harness import FAILING_TEMPLATE, execution

from gcsapply.clock import ManualClock
from gcsapply.engine import wait as engine_wait
from gcsapply.engine.wait import parse_timeout
from gcsapply.errors import UsageError
from gcsapply.render.progress import Progress, RunView


def test_wait_follows_the_launched_runs_to_success_with_timestamped_lines(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    result = gcs.apply("--wait")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "Waiting for 2 run(s); Ctrl-C stops waiting, never the runs." in lines
    stamped = [line for line in lines if re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line)]
    assert any(line.endswith("execution/a: Succeeded, 1/1 jobs") for line in stamped)
    assert stamped[-1].split(" ", 1)[1].startswith("overall: 2/2 runs finished, 2/2 jobs")
    assert lines[-1] == "All 2 run(s) succeeded."


def test_wait_polls_the_list_and_never_gets_runs_one_by_one(gcs):
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(6)})
    assert gcs.apply("--wait").code == 0
    stats = gcs.servers[-1].stats()
    assert not [key for key in stats if key.startswith("GET /v1/executions/")]
    assert stats["GET /v1/executions"] < 20


def test_a_run_that_fails_while_waited_for_makes_apply_exit_1(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1")})
    result = gcs.apply("--wait")
    assert result.code == 1
    assert "1 run(s) did not succeed: execution/a (Failed)" in result.err


def test_a_timeout_exits_1_and_leaves_the_runs_running(make_gcs):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1")})
    result = gcs.apply("--wait", "--timeout", "30s")
    assert result.code == 1
    assert "runs continue in GCS" in result.err
    [run] = gcs.executions()
    assert run["execution"]["status"] in ("Pending", "Running")


def test_ctrl_c_between_polls_stops_waiting_says_the_runs_continue_and_leaves_them_running(
        make_gcs, monkeypatch):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1")})
    waiting = []
    original_wait, original_sleep = engine_wait.wait_for_runs, gcs.clock.sleep

    def wait_for_runs(*args, **kwargs):
        waiting.append(True)
        return original_wait(*args, **kwargs)

    def sleep(seconds):  # the signal arrives while the wait sleeps between two polls
        original_sleep(seconds)
        if waiting and len(waiting) < 2:
            waiting.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(engine_wait, "wait_for_runs", wait_for_runs)
    monkeypatch.setattr(gcs.clock, "sleep", sleep)
    result = gcs.apply("--wait")
    assert result.code == 130
    assert "stopped waiting; runs continue in GCS" in result.err
    [run] = gcs.executions()
    assert run["execution"]["status"] in ("Pending", "Running")


def test_timeout_needs_wait(gcs):
    result = gcs.run("apply", gcs.root, "--auto-approve", "--timeout", "30s")
    assert result.code == 1
    assert "--timeout only applies with --wait" in result.err


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("2h", 7200),
                                           ("600", 600), ("1.5h", 5400)])
def test_timeouts_are_given_in_seconds_minutes_or_hours(text, seconds):
    assert parse_timeout(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5s", "10d", "soon"])
def test_a_timeout_that_is_not_a_positive_duration_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--timeout takes a positive duration"):
        parse_timeout(text)


def test_without_a_terminal_progress_prints_only_what_changed():
    clock = ManualClock()
    written = []
    progress = Progress(written.append, clock, tty=False)
    progress.update([RunView("execution/a", "a-1", "Running", 0, 2),
                     RunView("execution/b", "b-1", "Pending", 0, 1)])
    clock.advance(10)
    progress.update([RunView("execution/a", "a-1", "Running", 1, 2),
                     RunView("execution/b", "b-1", "Pending", 0, 1)])
    clock.advance(10)
    progress.update([RunView("execution/a", "a-1", "Running", 1, 2),
                     RunView("execution/b", "b-1", "Pending", 0, 1)])
    assert "".join(written) == (
        "2026-01-01T00:00:00Z execution/a: Running, 0/2 jobs\n"
        "2026-01-01T00:00:00Z execution/b: Pending, 0/1 jobs\n"
        "2026-01-01T00:00:00Z overall: 0/2 runs finished, 0/3 jobs, 0:00:00 elapsed\n"
        "2026-01-01T00:00:10Z execution/a: Running, 1/2 jobs\n"
        "2026-01-01T00:00:10Z overall: 0/2 runs finished, 1/3 jobs, 0:00:10 elapsed\n")


def test_on_a_terminal_progress_redraws_one_block_in_place():
    clock = ManualClock()
    written = []
    progress = Progress(written.append, clock, tty=True)
    progress.update([RunView("execution/a", "a-1", "Running", 0, 2)])
    clock.advance(5)
    progress.update([RunView("execution/a", "a-1", "Succeeded", 2, 2)])
    assert written[0] == ("\x1b[2Kexecution/a  Running     0/2 jobs\n"
                          "\x1b[2Koverall: 0/1 runs finished, 0/2 jobs, 0:00:00 elapsed\n\x1b[J")
    assert written[1].startswith("\x1b[2F\x1b[2Kexecution/a  Succeeded   2/2 jobs\n")


def test_waiting_for_the_members_of_an_execution_set_narrows_the_listing_by_their_prefix(gcs):
    gcs.write({"a.yaml": execution("cohort-x", "s0"), "samples.csv": "id\nx1\nx2\nx3\n",
               "set.yaml": """\
                   apiVersion: gcsapply/v1
                   kind: ExecutionSet
                   metadata: {name: cohort}
                   spec:
                     samples: samples.csv
                     key: id
                     template: {workflow: hello, inputs: {sample: "{{ sample.id }}"}}
                   """})
    assert gcs.apply().code == 0  # cohort-x and the set's three members
    gcs.write({"samples.csv": "id\nx1\nx2\nx3\nx4\nx5\n"})
    result = gcs.apply("--wait")
    assert result.code == 0, result.err
    assert "Waiting for 6 run(s)" in result.out  # the two launched now and the stack's earlier four
    assert result.out.rstrip().endswith("All 6 run(s) succeeded.")
