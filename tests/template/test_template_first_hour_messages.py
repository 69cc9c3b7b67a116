"""Two template mistakes of a new user's first hour: a call in a YAML flow list, cut at its
commas (``vars_iter: [range(5, 5)]``), and a step after a step that may be skipped (grammar
reference §11.3)."""

from pathlib import Path
from textwrap import dedent, indent

from gcsapply.template import parse_template

REFERENCE = Path("/work/shared/reference/gcs-workflow-grammar.md")

HEAD = """\
version: genecontainer_0_1
inputs:
  samples: {type: array, default: [s1, s2]}
  annotate: {type: bool, default: false}
workflow:
  qc:
    type: GCS.Job
    tool: fastqc:0.11.9
    commands: [echo PASS]
"""  # 9 lines; the step under test starts on line 10


def diagnostics(steps: str, strict: bool = True):
    return parse_template(HEAD + indent(dedent(steps), "  "), "t.yaml").validate(strict)


def rendered(steps: str, strict: bool = True) -> list[str]:
    return [d.render() for d in diagnostics(steps, strict)]


def test_range_in_a_flow_list_is_reported_as_a_call_cut_at_its_comma_with_the_quoted_form():
    assert rendered("""\
          fan:
            type: GCS.Job
            tool: busybox:1.36
            commands_iter:
              command: echo ${1}
              vars_iter: [range(5, 5)]
        """) == [
        "t.yaml:15:19: error: range(5, 5) is empty: begin must be less than end "
        "(at workflow.fan.commands_iter.vars_iter[0])\n"
        "  hint: range(begin, end) yields begin..end-1",
        "t.yaml:15:19: error: range(5, 5) was read as 2 vars_iter elements, 'range(5', '5)': "
        "in a flow list `[...]` YAML splits at every comma "
        "(at workflow.fan.commands_iter.vars_iter[0])\n"
        "  hint: quote the call: vars_iter: ['range(5, 5)']"]


def test_a_cut_call_beside_other_lists_gets_the_whole_vars_iter_rewritten_in_its_hint():
    found = diagnostics("""\
          fan:
            type: GCS.Job
            tool: busybox:1.36
            commands_iter:
              command: echo ${1} ${2}
              vars_iter: [[a, "it's", "1"], range(0, 3)]
        """)
    assert [(d.code, d.path, d.hint) for d in found] == [
        ("vars-iter-split-call", "workflow.fan.commands_iter.vars_iter[1]",
         "quote the call: vars_iter: [[a, 'it''s', '1'], 'range(0, 3)']")]
    assert found[0].message == ("range(0, 3) was read as 2 vars_iter elements, 'range(0', "
                                "'3)': in a flow list `[...]` YAML splits at every comma")


def test_the_positions_of_a_cut_call_are_counted_as_the_author_meant_them():
    found = diagnostics("""\
          fan:
            type: GCS.Job
            tool: busybox:1.36
            commands_iter:
              command: echo ${1} ${2}
              vars_iter: [range(0, 3)]
        """)
    assert [d.code for d in found] == ["positional-out-of-range", "vars-iter-split-call"]
    assert found[0].message == "${2} is used but there are only 1 positions"


def test_a_quoted_call_in_a_flow_list_is_valid():
    assert rendered("""\
          fan:
            type: GCS.Job
            tool: busybox:1.36
            commands_iter:
              command: echo ${1}
              vars_iter: ['range(0, 3)']
        """) == []


def test_lenient_mode_reports_no_cut_call_as_the_service_does_not():
    assert rendered("""\
          fan:
            type: GCS.Job
            tool: busybox:1.36
            commands_iter:
              command: echo ${1}
              vars_iter: [range(5, 5)]
        """, strict=False) == []


def test_a_step_after_a_step_that_may_be_skipped_is_warned_with_the_reference_situation():
    text = REFERENCE.read_text(encoding="utf-8")
    start = text.index("```yaml", text.index("### 11.3")) + len("```yaml\n")
    template = text[start:text.index("```", start)]
    found = parse_template(template, "dag.yaml").validate(strict=True)
    assert [d.render() for d in found] == [
        "dag.yaml:44:17: warning: step 'annotate-vcf' depends on 'call-variants', which is "
        "skipped when its condition (check_result(qc, \"PASS\")) is false; a skipped step "
        "counts as finished, so 'annotate-vcf' is not held back and may run without the "
        "results of 'call-variants' (at workflow.annotate-vcf.depends[0].target)\n"
        "  hint: GCS does not document what follows a skipped step: make 'annotate-vcf' work "
        "without those results, or give it the same condition"]


def test_a_step_after_a_step_behind_a_bool_input_is_warned():
    found = diagnostics("""\
          annotate:
            type: GCS.Job
            tool: vep:104
            condition: ${annotate}
            commands: [echo annotate]
          report:
            type: GCS.Job
            tool: busybox:1.36
            commands: [echo report]
            depends: [{target: annotate}]
        """)
    assert [(d.code, d.severity, d.line, d.column) for d in found] == [
        ("depends-on-conditional-step", "warning", 19, 24)]
    assert found[0].message.startswith(
        "step 'report' depends on 'annotate', which is skipped when its condition "
        "(${annotate}) is false;")


def test_a_step_with_the_same_condition_as_its_upstream_is_skipped_with_it_and_not_warned():
    assert rendered("""\
          annotate:
            type: GCS.Job
            tool: vep:104
            condition: ${annotate}
            commands: [echo annotate]
          report:
            type: GCS.Job
            tool: busybox:1.36
            condition: ${annotate}
            commands: [echo report]
            depends: [{target: annotate}]
        """) == []


def test_a_step_after_a_step_whose_condition_is_true_is_not_warned():
    assert rendered("""\
          always:
            type: GCS.Job
            tool: busybox:1.36
            condition: true
            commands: [echo always]
          report:
            type: GCS.Job
            tool: busybox:1.36
            commands: [echo report]
            depends: [{target: always}]
        """) == []


def test_a_step_after_a_step_that_never_runs_is_warned():
    found = diagnostics("""\
          never:
            type: GCS.Job
            tool: busybox:1.36
            condition: false
            commands: [echo never]
          report:
            type: GCS.Job
            tool: busybox:1.36
            commands: [echo report]
            depends: [{target: never}]
        """)
    assert [(d.code, d.path) for d in found] == [
        ("depends-on-conditional-step", "workflow.report.depends[0].target")]
    assert "condition (false) is false" in found[0].message


def test_the_conditional_step_warning_is_for_validate_and_plan_only():
    assert rendered("""\
          never:
            type: GCS.Job
            tool: busybox:1.36
            condition: false
            commands: [echo never]
          report:
            type: GCS.Job
            tool: busybox:1.36
            commands: [echo report]
            depends: [{target: never}]
        """, strict=False) == []
