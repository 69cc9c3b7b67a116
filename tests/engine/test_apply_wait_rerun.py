"""``apply --wait`` waits for the stack's current runs, not only those launched now: a re-run of
a CI job that timed out waits again (even with "No changes."), and cannot pass while a run an
earlier apply launched failed. The same runs and verdict as ``gcsapply wait``."""

from __future__ import annotations

from apply_harness import FAILING_TEMPLATE, execution


def test_a_timed_out_apply_wait_exits_1_and_its_rerun_waits_again_until_the_runs_succeed(make_gcs):
    gcs = make_gcs(job_seconds=100)
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    timed_out = gcs.apply("--wait", "--timeout", "30s")
    assert timed_out.code == 1
    assert "timed out after 30s with 2 of 2 runs unfinished; runs continue in GCS" in timed_out.err
    rerun = gcs.apply("--wait")
    assert rerun.code == 0, rerun.err
    lines = rerun.out.splitlines()
    assert "No changes." in lines
    assert "Waiting for 2 run(s); Ctrl-C stops waiting, never the runs." in lines
    assert lines[-1] == "All 2 run(s) succeeded."
    assert {run["execution"]["status"] for run in gcs.executions()} == {"Succeeded"}
    assert len(gcs.executions()) == 2  # nothing launched twice


def test_a_rerun_cannot_pass_while_a_run_launched_earlier_failed(make_gcs):
    gcs = make_gcs(job_seconds=100)
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE, "a.yaml": execution("a", "s1")})
    assert gcs.apply("--wait", "--timeout", "30s").code == 1
    gcs.clock.advance(600)  # the run fails after the job gave up waiting
    rerun = gcs.apply("--wait")
    assert rerun.code == 1
    assert "No changes." in rerun.out
    assert "1 run(s) did not succeed: execution/a (Failed)" in rerun.err


def test_apply_wait_follows_earlier_runs_still_active_beside_the_ones_it_launches(make_gcs):
    gcs = make_gcs(job_seconds=100)
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    gcs.write({"b.yaml": execution("b", "s2")})
    result = gcs.apply("--wait")
    assert result.code == 0, result.err
    assert "Waiting for 2 run(s)" in result.out
    assert any(line.endswith("execution/a: Succeeded, 1/1 jobs") for line in result.out.splitlines())


def test_apply_wait_of_a_stack_without_runs_says_there_is_nothing_to_wait_for(gcs):
    result = gcs.apply("--wait")
    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("No runs in this stack: nothing to wait for.")
