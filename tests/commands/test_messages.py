"""The messages a new user meets in the first hour, word for word: each names the command
that was run, the real stack directory and what to do next."""

from __future__ import annotations

import io
import os
import signal
import sys
import textwrap

import pytest
from apply_harness import ECHO_TEMPLATE, FAILING_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply import cli


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    """A stack in a directory whose name needs quoting in a shell command."""
    gcs = Gcs(tmp_path / "my stack", monkeypatch, capsys, job_seconds=3600)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    return gcs


class SignalOnLine(io.TextIOBase):
    """stdout that sends ``signum`` to this process once a line holding ``text`` is printed
    (the signal arrives while apply runs, as a ``kill`` from another terminal would)."""

    def __init__(self, stream, text: str, signum: int):
        self.stream, self.text, self.signum, self.sent = stream, text, signum, False

    def write(self, data: str) -> int:
        written = self.stream.write(data)
        if self.text in data and not self.sent:
            self.sent = True
            os.kill(os.getpid(), self.signum)
        return written

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


def test_destroy_without_a_terminal_names_destroy_and_the_command_that_approves(gcs):
    assert gcs.apply().code == 0
    result = gcs.run("destroy", gcs.root)
    assert result.code == 1
    assert result.err == (
        "error: destroy needs --auto-approve when stdin is not a terminal\n"
        f"  hint: review the plan above, then run 'gcsapply destroy '{gcs.root}' "
        "--auto-approve'\n")
    assert len(gcs.executions()) == 1


def test_apply_without_a_terminal_names_apply_and_the_directory_to_approve_or_save(gcs):
    result = gcs.run("apply", gcs.root)
    assert result.code == 1
    assert result.err == (
        "error: apply needs --auto-approve when stdin is not a terminal\n"
        f"  hint: review the plan above, then run 'gcsapply apply '{gcs.root}' "
        f"--auto-approve', or save it with 'gcsapply plan '{gcs.root}' --out FILE' and apply "
        "that file\n")
    assert gcs.executions() == []


def test_a_wait_that_times_out_says_to_follow_the_runs_with_status_of_the_real_directory(gcs):
    result = gcs.apply("--wait", "--timeout", "30s")
    assert result.code == 1
    assert result.err.endswith(
        "error: timed out after 30s with 1 of 1 runs unfinished; runs continue in GCS\n"
        f"  hint: follow them with 'gcsapply status '{gcs.root}''\n")


def test_a_run_that_fails_while_waited_for_points_at_status_of_the_real_directory(gcs):
    gcs.options["job_seconds"] = 10.0
    gcs.write({"templates/hello.yaml": FAILING_TEMPLATE})
    result = gcs.apply("--wait")
    assert result.code == 1
    assert result.err.endswith(
        "error: 1 run(s) did not succeed: execution/a (Failed)\n"
        f"  hint: see 'gcsapply status '{gcs.root}''; runs under runPolicy untilSucceeded are "
        "retried by the next apply\n")


def test_a_sigterm_says_what_a_second_signal_does_and_nothing_about_pressing(gcs, monkeypatch):
    gcs.write({"b.yaml": execution("b", "s2"), "c.yaml": execution("c", "s3")})
    monkeypatch.setattr(sys, "stdout",
                        SignalOnLine(sys.stdout, "execution/a: create succeeded", signal.SIGTERM))
    result = gcs.apply("--parallelism", "1")
    assert result.code == 130
    assert result.err.startswith(
        "\nSIGTERM: starting nothing new; letting calls in flight finish and saving state. "
        "A second SIGTERM or Ctrl-C stops at once.\n")
    assert "Press" not in result.err
    assert result.err.endswith("  hint: run the same apply again to finish\n")


def test_ctrl_c_says_to_press_it_again_to_stop_at_once(gcs, monkeypatch):
    gcs.write({"b.yaml": execution("b", "s2")})
    monkeypatch.setattr(sys, "stdout",
                        SignalOnLine(sys.stdout, "execution/a: create succeeded", signal.SIGINT))
    result = gcs.apply("--parallelism", "1")
    assert result.code == 130
    assert result.err.startswith(
        "\nCtrl-C: starting nothing new; letting calls in flight finish and saving state. "
        "Press Ctrl-C again to stop at once.\n")


def test_status_without_a_directory_reads_the_stack_in_the_current_directory(gcs, monkeypatch):
    assert gcs.apply().code == 0
    monkeypatch.chdir(gcs.root)
    result = gcs.run("status")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:3] == [
        "ADDRESS      STATUS   JOBS  STARTED               DURATION",
        "execution/a  Pending  0/1   2026-01-01T00:00:00Z  0:00:00"]
    assert gcs.run("status", ".").out == result.out


def test_status_help_shows_the_directory_as_optional(capsys):
    assert cli.main(["status", "--help"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == \
        "usage: gcsapply status [-h] [--debug] [--json] [--usage] [DIR]"


def test_a_replace_is_counted_alike_in_the_cost_line_and_the_summary(tmp_path, monkeypatch,
                                                                     capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    bye = WORKFLOW.replace("name: hello", "name: bye").replace("says hello", "says bye")
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW, "bye.yaml": bye,
               "templates/hello.yaml": ECHO_TEMPLATE})
    assert gcs.apply().code == 0
    ids = {w["name"].split("-")[0]: w["id"] for w in gcs.workflows()}
    gcs.write({"bye.yaml": None})
    result = gcs.run("plan", gcs.root, "--replace", "workflow/hello")
    assert result.code == 0, result.err
    assert result.out.split("\n", 2)[2] == textwrap.dedent(f"""\
        Actions: -/+ replace  - delete
        Cost: no runs to launch; 1 to delete, 1 to replace (a replace deletes, then creates).

        # workflow/bye will be deleted
          reason: removed-from-manifests
          - bye-93004185 ({ids["bye"]})

        # workflow/hello will be replaced
          reason: requested
          -/+ hello-93004185 ({ids["hello"]})

        Plan: 0 to create, 0 to update, 1 to replace, 0 to retry, 0 to cancel, 1 to delete, 0 to forget.
        """)


def test_a_yaml_file_given_as_a_saved_plan_is_not_a_saved_plan_and_the_hint_names_its_directory(
        gcs):
    result = gcs.run("apply", gcs.root / "stack.yaml")
    assert result.code == 1
    assert result.err == (
        f"error: {gcs.root / 'stack.yaml'} is not a saved plan: it is a YAML file (a saved plan "
        "is JSON)\n"
        "  hint: to apply the stack this manifest is part of, give its directory: "
        f"'gcsapply apply '{gcs.root}''; a saved plan is the file "
        f"'gcsapply plan '{gcs.root}' --out FILE' writes\n")
    assert "Expecting" not in result.err
    assert gcs.executions() == []


def test_a_stale_plan_names_only_the_addresses_that_changed(gcs, tmp_path):
    gcs.write({"b.yaml": execution("b", "s2"), "c.yaml": execution("c", "s3")})
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    gcs.write({"b.yaml": execution("b", "s9")})
    result = gcs.run("apply", saved)
    assert result.code == 1
    assert result.err == (
        f"error: {saved}: stale plan: execution/b: the manifests now plan a different change\n"
        "  hint: a saved plan applies at most once and only to the state it was made against; "
        f"run 'gcsapply plan '{os.path.relpath(gcs.root)}' --out {saved}' again\n")
    assert gcs.executions() == []


def test_a_saved_plan_applied_twice_says_so_once_instead_of_naming_every_address(gcs, tmp_path):
    gcs.write({"b.yaml": execution("b", "s2"), "c.yaml": execution("c", "s3")})
    saved = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", saved).code == 0
    assert gcs.run("apply", saved).code == 0
    result = gcs.run("apply", saved)
    assert result.code == 1
    lineage = gcs.run("state", "list", gcs.root, "--json").out.split('"lineage": "')[1][:36]
    assert result.err.splitlines()[0] == (
        f"error: {saved}: stale plan: the state lineage is now {lineage}, the plan was made "
        "before the stack's first apply; the state serial is now 1, the plan was made at "
        "serial 0; none of its 4 changes is planned any more (it was applied, or the same "
        "changes were)")
    assert len(gcs.executions()) == 3
