"""The invalid snippets of grammar reference §11.4, lenient mode, and the kubegene templates."""

from pathlib import Path
from textwrap import dedent

import pytest

from gcsapply.template import load_template, parse_template

KUBEGENE = Path("/work/shared/testdata/kubegene")
VALID_KUBEGENE = ["gatk4-practices.yaml", "samejob-condition-getresult.yaml",
                  "simple-sample-chkresult.yaml", "simple-sample-get-chkresult.yaml",
                  "simple-sample-getresult.yaml", "simple-sample.yaml"]

BASE = """\
version: genecontainer_0_1
inputs:
  n: {type: number, default: 2}
workflow:
  qc:
    type: GCS.Job
    tool: fastqc:0.11.9
    commands: [echo PASS]
  work:
    type: GCS.Job
    tool: busybox:1.36
    commands: [echo work]
    depends: [{target: qc}]
"""


def errors(text, strict=True):
    return [(d.code, d.line) for d in parse_template(text, "t.yaml").validate(strict) if d.is_error]


def test_the_base_for_the_snippets_is_valid():
    assert parse_template(BASE, "t.yaml").validate() == []


@pytest.mark.parametrize("old, new, code, line", [
    ("version: genecontainer_0_1", "version: genecontainer_0_2", "version-unsupported", 1),
    ("  work:", "  Align_Reads:", "step-name-invalid", 9),
    ("[{target: qc}]", "[{target: merge}]", "depends-target-unknown", 13),
    ("    commands: [echo PASS]", "    commands: [echo PASS]\n    depends: [{target: work}]",
     "dependency-cycle", 14),
    ("tool: busybox:1.36", "tool: ${tool}", "tool-variable", 11),
    ("[echo work]", '["echo ${sampel}"]', "undefined-variable", 12),
    ("{type: number, default: 2}", '{type: number, default: "4"}', "input-default-type", 3),
    ("{type: number, default: 2}", "{type: integer}", "input-type-invalid", 3),
    ("    commands: [echo work]", "    commands_iter:\n      command: echo ${1}\n      vars: [[a, 1], [b]]",
     "vars-row-width", 14),
    ("    commands: [echo work]", "    commands_iter:\n      command: echo ${3}\n      vars_iter: [[a], [b]]",
     "positional-out-of-range", 13),
    ("    commands: [echo work]", "    commands: [echo work]\n    condition: get_result(qc)",
     "condition-invalid", 13),
    ("    commands: [echo work]", '    commands_iter:\n      command: echo ${1}\n      vars_iter: ["range(5, 5)"]',
     "range-empty", 14),
    ("workflow:", "volumes:\n  data: {mount_path: data, mount_from: {pvc: p}}\nworkflow:",
     "volume-mount-path-relative", 5),
    ("workflow:", "volumes:\n  data: {mount_path: /data, mount_from: {pvc: p, sub_path: /abc}}\nworkflow:",
     "volume-sub-path-absolute", 5),
])
def test_each_invalid_snippet_of_the_reference_is_rejected_in_strict_mode(old, new, code, line):
    assert old in BASE
    found = errors(BASE.replace(old, new, 1))
    assert (code, line) in found, found


def test_lenient_mode_accepts_a_missing_type_unknown_keys_and_undefined_variables():
    text = dedent("""\
        version: genecontainer_0_1
        metadata: {Designer: {}}
        workflow:
          only-step:
            tool: busybox:1.36
            extra: ignored
            commands: ["echo ${whatever} ${GCS_DATA_PVC}"]
    """)
    assert parse_template(text, "t.yaml").validate(strict=False) == []
    assert {d.code for d in parse_template(text, "t.yaml").validate(strict=True)} == {
        "step-type-missing", "unknown-key", "undefined-variable"}


@pytest.mark.parametrize("old, new, code", [
    ("version: genecontainer_0_1", "version: genecontainer_0_2", "version-unsupported"),
    ("[{target: qc}]", "[{target: merge}]", "depends-target-unknown"),
    ("[{target: qc}]", "[{target: qc, type: each}]", "depends-type-invalid"),
    ("    type: GCS.Job\n    tool: busybox:1.36\n", "    type: CCI.Job\n    tool: busybox:1.36\n",
     "step-type-invalid"),
    ("    tool: busybox:1.36\n", "", "tool-missing"),
    ("{type: number, default: 2}", '{type: number, default: "2"}', "input-default-type"),
    ("{type: number, default: 2}", "{type: integer}", "input-type-invalid"),
    ("  n: {", "  bad.name: {", "input-name-invalid"),
    ("    commands: [echo work]", "    commands: [echo work]\n    condition: check_result(nope, \"x\")",
     "result-target-unknown"),
    ("workflow:", "volumes:\n  data: {mount_from: {pvc: p}}\nworkflow:", "volume-mount-path-missing"),
    ("workflow:", "outputs:\n  vcf: {path: /x}\nworkflow:", "output-paths-missing"),
])
def test_lenient_mode_still_rejects_the_documented_rules(old, new, code):
    assert old in BASE
    found = [c for c, _ in errors(BASE.replace(old, new, 1), strict=False)]
    assert code in found, found


@pytest.mark.parametrize("name", VALID_KUBEGENE)
def test_the_real_kubegene_templates_validate_strict_without_errors_and_expand_with_defaults(name):
    template = load_template(KUBEGENE / name, name)
    diagnostics = template.validate(strict=True)
    assert [d.render() for d in diagnostics if d.is_error] == []
    # three of them join after a check_result step: the §11.3 warning says what a skip does
    assert {d.code for d in diagnostics} <= {"step-type-missing", "input-description-too-long",
                                             "depends-on-conditional-step"}
    assert [d for d in template.validate(strict=False) if d.is_error] == []
    graph = template.expand()
    assert list(graph.steps) == template.step_names
    for step in graph.steps.values():
        commands = step.expand_runtime(lambda target: "1 2 3\n")
        assert commands and all("${" not in c for c in commands), (step.name, commands)


def test_the_kubegene_generic_condition_template_is_rejected_naming_the_key():
    template = load_template(KUBEGENE / "generic-condition-workflow.yaml", "generic-condition-workflow.yaml")
    [error] = [d for d in template.validate(strict=True) if d.is_error]
    assert error.render() == (
        "generic-condition-workflow.yaml:43:7: error: `generic_condition` is not part of the GCS "
        "template grammar (step 'jobmod') (at workflow.jobmod.generic_condition)\n"
        "  hint: `generic_condition` is a kubegene-only extension that GCS does not support; use "
        "`condition: check_result(step, \"expected\")` or `condition: ${bool-input}` instead")


def test_the_gatk_template_expands_to_the_expected_fan_out():
    graph = load_template(KUBEGENE / "gatk4-practices.yaml").expand()
    widths = {name: len(step.commands) for name, step in graph.steps.items()}
    assert widths == {"splitfq": 2, "bwamapping": 13, "mergemappedbam": 1, "samflagstat": 1,
                      "sammerge": 40, "mkdupbqsr": 40, "mergevcf": 1}
    assert graph.steps["splitfq"].commands[1].endswith("/data/sample/R2.fq.gz /tmpresult/sample R1\n")
    assert graph.cost().jobs == 98 and graph.cost().memory_gb == 98.0
