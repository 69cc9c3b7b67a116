"""Expansion to concrete commands, run-time get_result/check_result, conditions and cost."""

from textwrap import dedent

import pytest

from gcsapply.errors import TemplateError
from gcsapply.template import CheckResult, Cost, Dependency, Literal, parse_template


def expand(text, inputs=None, **kwargs):
    template = parse_template(dedent(text), "t.yaml")
    assert [d.render() for d in template.validate() if d.is_error] == []
    return template.expand(inputs, **kwargs)


def commands(text, step="s", inputs=None):
    return expand(text, inputs).steps[step].commands


FAN = """\
version: genecontainer_0_1
inputs:
  samples: {type: array, default: [s01, s02]}
  shards: {type: number, default: 2}
workflow:
  s:
    type: GCS.Job
    tool: bwa:0.7.12
    commands_iter:
      command: align ${1} ${2} item=${item}
      vars_iter:
        - ${samples}
        - range(0, ${shards})
"""


def test_vars_iter_is_a_cartesian_product_with_the_first_list_outermost():
    assert commands(FAN) == ["align s01 0 item=0", "align s01 1 item=1",
                             "align s02 0 item=2", "align s02 1 item=3"]


def test_the_number_of_containers_is_the_product_of_the_list_lengths():
    got = commands(FAN, inputs={"samples": ["a", "b", "c"], "shards": 4})
    assert len(got) == 12
    assert got[4] == "align b 0 item=4"


def test_range_with_a_step_argument_counts_by_that_step():
    text = FAN.replace("range(0, ${shards})", "range(1, 10, 4)")
    assert commands(text, inputs={"samples": ["x"]}) == ["align x 1 item=0", "align x 5 item=1",
                                                         "align x 9 item=2"]


def test_vars_rows_come_first_then_the_vars_iter_product_and_item_keeps_counting():
    text = FAN.replace("      vars_iter:", "      vars:\n        - [r1, 9]\n        - [r2, 8]\n      vars_iter:")
    assert commands(text) == ["align r1 9 item=0", "align r2 8 item=1", "align s01 0 item=2",
                              "align s01 1 item=3", "align s02 0 item=4", "align s02 1 item=5"]


def test_a_vars_row_may_be_an_array_input():
    text = FAN.replace("      vars_iter:\n        - ${samples}\n        - range(0, ${shards})\n",
                       "      vars:\n        - ${samples}\n        - [x, y]\n")
    assert commands(text) == ["align s01 s02 item=0", "align x y item=1"]


def test_a_literal_list_in_vars_iter_substitutes_inputs_in_its_elements():
    text = FAN.replace("        - ${samples}\n", "        - ['${shards}x', 0.5, true]\n")
    assert commands(text, inputs={"shards": 1}) == ["align 1x 0 item=0", "align 0.5 0 item=1",
                                                     "align true 0 item=2"]


def test_plain_commands_come_first_and_item_numbers_only_the_iterated_ones():
    text = FAN.replace("    commands_iter:", "    commands:\n      - echo first ${item}\n    commands_iter:")
    got = commands(text)
    assert got[0] == "echo first ${item}"
    assert got[1:3] == ["align s01 0 item=0", "align s01 1 item=1"]
    assert len(got) == 5


SPLICE = """\
version: genecontainer_0_1
inputs:
  samples: {type: array, default: [a, 2, 0.5]}
  ratio: {type: number, default: 0.5}
  whole: {type: number, default: 3.0}
  flag: {type: bool, default: true}
  tricky: {type: string, default: "${1} stays"}
workflow:
  s:
    type: GCS.Job
    tool: bwa:0.7.12
    commands:
      - echo ${samples} ${ratio} ${whole} ${flag} ${-1} $HOME ${GCS_DATA_PVC}
    commands_iter:
      command: echo ${tricky} ${1}
      vars_iter: [[v]]
"""


def test_values_render_shortest_bools_lowercase_arrays_as_compact_json_unknown_verbatim():
    template = parse_template(SPLICE, "t.yaml")
    assert template.expand().steps["s"].commands == [
        'echo ["a",2,0.5] 0.5 3 true ${-1} $HOME ${GCS_DATA_PVC}',
        "echo ${1} stays v",
    ]


def test_built_in_pvc_values_are_substituted_when_given():
    graph = parse_template(SPLICE, "t.yaml").expand(builtins={"GCS_DATA_PVC": "gene-pvc-1"})
    assert graph.steps["s"].commands[0].endswith(" gene-pvc-1")


GET_RESULT = """\
version: genecontainer_0_1
inputs:
  sep: {type: string, default: ","}
workflow:
  list:
    type: GCS.Job
    tool: busybox:1.36
    commands: [ls /data]
  each:
    type: GCS.Job
    tool: busybox:1.36
    commands_iter:
      command: process ${1} ${2} ${item}
      vars_iter:
        - get_result(list, "\\n")
        - [x, y]
    depends:
      - target: list
        type: whole
"""


def test_get_result_makes_the_width_a_run_time_value():
    step = expand(GET_RESULT).steps["each"]
    assert step.commands is None
    assert step.result_steps == ["list"]
    stdout = {"list": "a.fq\nb.fq\n\n"}
    assert step.expand_runtime(stdout.__getitem__) == [
        "process a.fq x 0", "process a.fq y 1", "process b.fq x 2", "process b.fq y 3"]


@pytest.mark.parametrize("call, stdout, values", [
    ('get_result(list, "\\n")', "one\ntwo\n", ["one", "two"]),
    ("get_result(list, ' ')", "1 2 3 \n", ["1", "2", "3"]),
    ('get_result(list, "\\t")', "a\tb", ["a", "b"]),
    ('get_result(list, "::")', "a::b::", ["a", "b"]),
    ("get_result(list)", "whole text\nline 2\n", ["whole text\nline 2"]),
    ("get_result(list, ${sep})", "p,q\n", ["p", "q"]),
    ('get_result(list, "\\n")', "", []),
])
def test_get_result_splits_stdout_on_the_decoded_separator_dropping_empty_pieces(call, stdout, values):
    text = GET_RESULT.replace('get_result(list, "\\n")', call).replace("        - [x, y]\n", "")
    text = text.replace("${1} ${2} ${item}", "${1}")
    step = expand(text).steps["each"]
    assert step.expand_runtime(lambda name: stdout) == [f"process {v}" for v in values]


def test_cost_counts_a_get_result_fan_out_as_one_container_and_marks_a_lower_bound():
    assert expand(GET_RESULT).cost() == Cost(jobs=2, vcpu=4.0, memory_gb=16.0, lower_bound=True)


CONDITIONS = """\
version: genecontainer_0_1
inputs:
  annotate: {type: bool, default: false}
workflow:
  qc:
    type: GCS.Job
    tool: fastqc:0.11.9
    commands: [sh qc.sh]
  call:
    type: GCS.Job
    tool: gatk:4.1.0.0
    condition: check_result(qc, "PASS")
    commands: [sh call.sh]
    depends: [{target: qc}]
  annotate:
    type: GCS.Job
    tool: vep:104
    condition: ${annotate}
    commands: [sh annotate.sh]
    depends: [{target: call, type: iterate}]
  always:
    type: GCS.Job
    tool: vep:104
    condition: true
    commands: [sh always.sh]
"""


def test_check_result_is_a_run_time_condition_comparing_stdout_minus_one_newline():
    condition = expand(CONDITIONS).steps["call"].condition
    assert condition == CheckResult("qc", "PASS")
    assert condition.evaluate(lambda step: "PASS\n") is True
    assert condition.evaluate(lambda step: "PASS") is True
    assert condition.evaluate(lambda step: "PASS\n\n") is False
    assert condition.evaluate(lambda step: "FAIL\n") is False


def test_bool_input_and_literal_conditions_are_decided_at_expand_time():
    graph = expand(CONDITIONS)
    assert graph.steps["annotate"].condition == Literal(False)
    assert graph.steps["always"].condition == Literal(True)
    assert graph.steps["qc"].condition is None
    assert expand(CONDITIONS, {"annotate": True}).steps["annotate"].condition.evaluate(None) is True


def test_dependencies_keep_their_type_defaulting_to_whole():
    graph = expand(CONDITIONS)
    assert graph.steps["call"].depends == [Dependency("qc", "whole")]
    assert graph.steps["annotate"].depends == [Dependency("call", "iterate")]


def test_cost_skips_steps_whose_condition_is_literally_false():
    assert expand(CONDITIONS).cost() == Cost(jobs=3, vcpu=6.0, memory_gb=24.0, lower_bound=False)


def test_cost_sums_cpu_and_memory_over_containers_with_tool_defaults():
    text = FAN.replace("    tool: bwa:0.7.12\n", "    tool: bwa:0.7.12\n    resources: {cpu: 0.5C, memory: 1.5g}\n")
    text += "  t:\n    type: GCS.Job\n    tool: x:1\n    resources: {cpu: 4}\n    commands: [a, b]\n"
    graph = expand(text)
    assert (graph.steps["s"].cpu, graph.steps["s"].memory_gb) == (0.5, 1.5)
    assert (graph.steps["t"].cpu, graph.steps["t"].memory_gb) == (4.0, None)
    assert graph.cost() == Cost(jobs=6, vcpu=4 * 0.5 + 2 * 4.0, memory_gb=4 * 1.5 + 2 * 8.0,
                                lower_bound=False)


def test_resources_from_inputs_are_substituted_before_parsing():
    text = FAN.replace("  shards:", "  mem: {type: string, default: 16G}\n  shards:").replace(
        "    tool: bwa:0.7.12\n", "    tool: bwa:0.7.12\n    resources: {cpu: 2c, memory: \"${mem}\"}\n")
    assert expand(text, {"mem": "32g"}).steps["s"].memory_gb == 32.0


def test_expanding_an_unparseable_template_raises_a_template_error():
    with pytest.raises(TemplateError, match="cannot expand template t.yaml: invalid YAML"):
        parse_template("workflow: [\n", "t.yaml").expand()


def test_a_condition_input_that_is_not_a_bool_raises_at_expand_time():
    text = CONDITIONS.replace("annotate: {type: bool, default: false}", "annotate: {type: string, default: maybe}")
    with pytest.raises(TemplateError, match=r"condition of step 'annotate' is \$\{annotate\}, which is not a bool"):
        parse_template(text, "t.yaml").expand()


def test_expansion_exposes_volumes_and_output_paths_with_inputs_substituted():
    text = dedent("""\
        version: genecontainer_0_1
        inputs:
          sample: {type: string, default: NA12878}
        workflow:
          s: {type: GCS.Job, tool: "x:1", commands: [x]}
        volumes:
          data: {mount_path: /data, mount_from: {pvc: "${GCS_DATA_PVC}", sub_path: "${sample}"}}
        outputs:
          bai:
            paths_iter:
              path: ${sample}/${1}.bai
              vars_iter: ["range(0, 2)"]
    """)
    graph = expand(text)
    assert graph.volumes["data"].sub_path == "NA12878"
    assert graph.volumes["data"].pvc == "${GCS_DATA_PVC}"
    assert graph.outputs == {"bai": ["NA12878/0.bai", "NA12878/1.bai"]}
    assert graph.inputs == {"sample": "NA12878"}


def test_expanding_a_step_beyond_the_container_limit_raises_instead_of_building_it():
    text = FAN.replace("range(0, ${shards})", "range(0, 100000)")
    with pytest.raises(TemplateError, match="step 's' expands to 200000 containers; at most 100000 per step"):
        parse_template(text, "t.yaml").expand()
    text = FAN.replace("range(0, ${shards})", "range(0, 1000000000000)")
    with pytest.raises(TemplateError, match=r"range\(\.\.\.\) in step 's' gives 1000000000000 values"):
        parse_template(text, "t.yaml").expand()


def test_a_run_time_fan_out_beyond_the_container_limit_raises_when_the_stdout_is_known():
    step = expand(GET_RESULT.replace("        - [x, y]\n", "        - range(0, 1000)\n")).steps["each"]
    assert step.expand_runtime(lambda name: "a\nb\n")[:2] == ["process a 0 0", "process a 1 1"]
    with pytest.raises(TemplateError, match="expands to 200000 containers; at most 100000 per step"):
        step.expand_runtime(lambda name: "\n".join(str(i) for i in range(200)))
