"""``gcsapply apply`` end to end: the real CLI, the embedded emulator, time moved by the test."""

from __future__ import annotations

import json

from apply_harness import FAILING_TEMPLATE, execution, names


def test_apply_then_plan_is_empty(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "Plan: 3 to create, 0 to update" in result.out
    assert "Apply complete: 3 succeeded, 0 failed, 0 skipped." in result.out
    assert len(gcs.executions()) == 2
    assert gcs.plan_exitcode() == 0


def test_applying_again_launches_nothing(gcs):
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    again = gcs.apply()
    assert again.code == 0
    assert "No changes." in again.out
    assert len(gcs.executions()) == 1


def test_one_changed_input_launches_exactly_one_run_and_supersedes_the_old(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    before = names(gcs.executions())
    gcs.write({"a.yaml": execution("a", "s9")})
    result = gcs.apply()
    assert result.code == 0, result.err
    after = names(gcs.executions())
    assert len(after) == 3 and set(before) < set(after)
    state = json.loads(gcs.run("state", "show", gcs.root, "execution/a", "--json").out)
    assert [old["gcs_name"] for old in state["superseded"]] == [n for n in before
                                                                if n.startswith("a-")]
    assert gcs.plan_exitcode() == 0


def test_a_removed_run_is_forgotten_and_left_in_gcs(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    gcs.write({"b.yaml": None})
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "execution/b: forget succeeded" in result.out
    assert len(gcs.executions()) == 2
    listing = gcs.run("state", "list", gcs.root).out
    assert "execution/a" in listing and "execution/b" not in listing
    assert gcs.plan_exitcode() == 0


def test_a_removed_run_under_deletion_policy_delete_is_cancelled_then_deleted(make_gcs):
    gcs = make_gcs(job_seconds=3600)
    gcs.write({"a.yaml": execution("a", "s1"),
               "b.yaml": execution("b", "s2", extra="deletionPolicy: delete\n")})
    assert gcs.apply().code == 0
    gcs.clock.advance(15)
    assert {r["execution"]["status"] for r in gcs.executions()} == {"Running"}
    gcs.write({"b.yaml": None})
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "execution/b: delete succeeded" in result.out
    stats = gcs.servers[-1].stats()
    assert stats["PUT /v1/executions/{execution_id}"] == 1  # the cancel, sent first
    assert stats["DELETE /v1/executions/{execution_id}"] == 1
    remaining = gcs.executions()
    assert [n.split("-")[0] for n in names(remaining)] == ["a"]
    assert gcs.plan_exitcode() == 0


def test_an_until_succeeded_run_that_keeps_failing_is_retried_max_retries_times_then_flagged(gcs):
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE,
               "a.yaml": execution("a", "s1", extra="""\
                   runPolicy: {mode: untilSucceeded, maxRetries: 2}
                   """)})
    assert gcs.apply().code == 0
    retries = 0
    for _ in range(4):
        gcs.clock.advance(600)
        result = gcs.apply()
        assert result.code == 0, result.err
        retries += result.out.count("execution/a: retry succeeded")
    assert retries == 2
    state = json.loads(gcs.run("state", "show", gcs.root, "execution/a", "--json").out)
    assert state["attempts"] == 2
    [run] = gcs.executions()
    assert run["execution"]["status"] == "Failed"
    assert gcs.plan_exitcode() == 0


def test_desired_state_cancelled_cancels_the_run(gcs):
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    gcs.clock.advance(5)
    gcs.write({"a.yaml": execution("a", "s1", extra="desiredState: cancelled\n")})
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "execution/a: cancel succeeded" in result.out
    gcs.clock.advance(600)
    [run] = gcs.executions()
    assert run["execution"]["status"] in ("Cancelling", "Cancelled")
    assert gcs.plan_exitcode() == 0


def test_a_template_change_makes_a_new_workflow_version_and_relaunches_nothing(gcs):
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    runs = names(gcs.executions())
    template = (gcs.root / "templates/hello.yaml").read_text()
    gcs.write({"templates/hello.yaml": "# a comment changes the digest\n" + template})
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "workflow/hello: create succeeded" in result.out
    assert names(gcs.executions()) == runs
    assert len([w for w in gcs.workflows() if w["name"].startswith("hello-")]) == 2
    assert gcs.plan_exitcode() == 0


def test_with_the_state_file_deleted_apply_adopts_and_launches_nothing(gcs):
    gcs.write({"a.yaml": execution("a", "s1"), "b.yaml": execution("b", "s2")})
    assert gcs.apply().code == 0
    runs = names(gcs.executions())
    (gcs.root / ".gcsapply" / "state.json").unlink()
    (gcs.root / ".gcsapply" / "journal.jsonl").unlink(missing_ok=True)
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "create succeeded" not in result.out
    assert names(gcs.executions()) == runs
    listing = gcs.run("state", "list", gcs.root).out
    assert "execution/a" in listing and "execution/b" in listing
    assert gcs.plan_exitcode() == 0


def test_a_saved_plan_applies_once_and_is_refused_the_second_time(gcs, tmp_path):
    gcs.write({"a.yaml": execution("a", "s1")})
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    first = gcs.run("apply", saved)
    assert first.code == 0, first.err
    second = gcs.run("apply", saved)
    assert second.code == 1
    assert "stale plan" in second.err
    assert len(gcs.executions()) == 1


def test_a_plan_saved_before_another_apply_is_refused(gcs, tmp_path):
    gcs.write({"a.yaml": execution("a", "s1")})
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    assert gcs.apply().code == 0
    result = gcs.run("apply", saved)
    assert result.code == 1
    assert "stale plan" in result.err
    assert len(gcs.executions()) == 1


def test_apply_without_a_terminal_needs_auto_approve(gcs):
    gcs.write({"a.yaml": execution("a", "s1")})
    result = gcs.run("apply", gcs.root)
    assert result.code == 1
    assert "--auto-approve" in result.err
    assert gcs.executions() == []


def test_a_second_apply_fails_naming_the_lock_holder(gcs):
    from gcsapply.state.lock import StateLock

    gcs.write({"a.yaml": execution("a", "s1")})
    holder = StateLock(gcs.root / ".gcsapply" / "state.lock", "gcsapply apply prod")
    holder.acquire()
    try:
        result = gcs.apply()
    finally:
        holder.release()
    assert result.code == 1
    assert "command 'gcsapply apply prod'" in result.err
    assert f"gcsapply state unlock {gcs.root}" in result.err
    assert gcs.executions() == []


def test_replace_deletes_and_uploads_a_workflow_that_no_run_uses(gcs):
    assert gcs.apply().code == 0
    [before] = gcs.workflows()
    result = gcs.apply("--replace", "workflow/hello")
    assert result.code == 0, result.err
    assert "workflow/hello: replace succeeded" in result.out
    [after] = gcs.workflows()
    assert after["name"] == before["name"] and after["id"] != before["id"]
    assert gcs.plan_exitcode() == 0
