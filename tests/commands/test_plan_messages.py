"""Messages a new user meets in the first hour, through the real CLI and the embedded emulator:
a wrongly cased endpoint, a launch-setting edit, a priority edit on a finished run, a call in a
YAML flow list, and a step after a step that may be skipped."""

from __future__ import annotations

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

RUN_NAME = "a-f98dc242"  # execution("a", "s1") against the hello workflow
WARNINGS = "Warnings:\n"


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys) -> Gcs:
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE})
    return gcs


def _launched(gcs: Gcs, extra: str = "") -> None:
    gcs.write({"a.yaml": execution("a", "s1", extra=extra)})
    result = gcs.apply()
    assert result.code == 0, result.err


def _plan_text(gcs: Gcs) -> str:
    result = gcs.run("plan", gcs.root)
    assert result.code == 0, result.err
    return result.out


def test_a_wrongly_cased_endpoint_gets_a_did_you_mean_in_validate_and_plan(gcs):
    gcs.write({"stack.yaml": STACK.replace("endpoint: embedded", "endpoint: Embedded")})
    expected = (
        "stack.yaml:5:13: error: 'endpoint' must be 'embedded', 'region' or an https:// URL "
        "without user info (plain http only to localhost) (got string 'Embedded') "
        "(at spec.endpoint)\n"
        "  hint: did you mean 'embedded'? 'embedded' runs the local emulator; 'region' means "
        "https://gcs.<region>.myhuaweicloud.com\n"
        "1 error, 0 warnings\n")
    for command in ("validate", "plan"):
        result = gcs.run(command, gcs.root)
        assert (result.code, result.out, result.err) == (1, "", expected)


def test_a_launch_setting_edit_warns_on_the_first_plan_and_not_after_the_apply(gcs):
    _launched(gcs)
    gcs.write({"a.yaml": execution("a", "s1", extra="timeout: 60\n")})
    assert _plan_text(gcs).split(WARNINGS)[1] == (
        f"  execution/a: applies-to-next-run: timeout changed; launch settings are not part of "
        f"the run key, so this applies to the next run only ({RUN_NAME} keeps its settings)\n"
        "\n"
        "2 unchanged.\n"
        "No changes.\n")
    applied = gcs.apply()
    assert applied.code == 0, applied.err
    assert WARNINGS in applied.out  # the plan apply shows is the one that says it
    assert WARNINGS not in _plan_text(gcs)
    assert gcs.run("plan", gcs.root, "--detailed-exitcode").code == 0


def test_a_priority_edit_on_a_succeeded_run_says_why_nothing_changes_once(gcs):
    _launched(gcs)
    gcs.clock.advance(60)  # the emulated job runs 10 s
    assert [r["execution"]["status"] for r in gcs.executions()] == ["Succeeded"]
    gcs.write({"a.yaml": execution("a", "s1", extra="priority: 7\n")})
    assert _plan_text(gcs).split(WARNINGS)[1] == (
        "  execution/a: priority-not-updatable: priority changes only while a run is Pending, "
        f"Running or Retrying; run {RUN_NAME} is Succeeded, so priority 0 -> 7 applies to the "
        "next run only\n"
        "\n"
        "2 unchanged.\n"
        "No changes.\n")
    assert gcs.apply().code == 0
    assert WARNINGS not in _plan_text(gcs)
    assert [r["execution"]["priority"] for r in gcs.executions()] == [0]


def test_a_range_in_a_flow_list_gets_the_quoting_hint_from_validate(gcs):
    gcs.write({"templates/hello.yaml": ECHO_TEMPLATE.replace(
        "    commands:\n      - echo ${sample}\n",
        "    commands_iter:\n      command: echo ${1}\n      vars_iter: [range(5, 5)]\n")})
    result = gcs.run("validate", gcs.root)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "templates/hello.yaml:10:19: error: range(5, 5) is empty: begin must be less than end "
        "(at workflow.hello.commands_iter.vars_iter[0])\n"
        "  hint: range(begin, end) yields begin..end-1\n"
        "templates/hello.yaml:10:19: error: range(5, 5) was read as 2 vars_iter elements, "
        "'range(5', '5)': in a flow list `[...]` YAML splits at every comma "
        "(at workflow.hello.commands_iter.vars_iter[0])\n"
        "  hint: quote the call: vars_iter: ['range(5, 5)']\n"
        "2 errors, 0 warnings\n")
    assert "- [range(5]" not in result.out + result.err


def test_a_step_after_a_conditional_step_is_warned_by_validate(gcs):
    gcs.write({"templates/hello.yaml": ECHO_TEMPLATE.replace("outputs:", """\
  report:
    type: GCS.Job
    tool: bwa:0.7.12
    commands: [echo report]
    depends: [{target: hello}]
outputs:""").replace("    commands:\n      - echo ${sample}\n",
                     "    condition: false\n    commands:\n      - echo ${sample}\n")})
    result = gcs.run("validate", gcs.root)
    assert (result.code, result.out, result.err) == (0, (
        "Valid: 1 stack, 1 workflow, 0 executions (0 execution sets); 0 errors, 1 warning.\n"), (
        "templates/hello.yaml:15:24: warning: step 'report' depends on 'hello', which is skipped "
        "when its condition (false) is false; a skipped step counts as finished, so 'report' is "
        "not held back and may run without the results of 'hello' "
        "(at workflow.report.depends[0].target)\n"
        "  hint: GCS does not document what follows a skipped step: make 'report' work without "
        "those results, or give it the same condition\n"))
