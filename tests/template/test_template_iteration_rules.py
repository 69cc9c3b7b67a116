"""Checklist items 15-19 (§10): vars/vars_iter, range, get_result, check_result, condition."""

from textwrap import dedent, indent

from gcsapply.template import parse_template

HEAD = """\
version: genecontainer_0_1
inputs:
  samples: {type: array, default: [s1, s2]}
  shards: {type: number, default: 3}
  name: {type: string, default: x}
  flag: {type: bool, default: true}
workflow:
  prep:
    type: GCS.Job
    tool: busybox:1.36
    commands: [echo a b]
"""  # 11 lines; the steps under test start on line 12


def problems(steps, strict=True):
    return parse_template(HEAD + indent(dedent(steps).strip("\n"), "  ") + "\n", "t.yaml").validate(strict)


def only(steps, code, strict=True):
    found = [d for d in problems(steps, strict) if d.code == code]
    assert len(found) == 1, [d.render() for d in problems(steps, strict)]
    return found[0]


def iterated(lines):
    """A step `fan` (line 12) whose commands_iter body starts on line 16."""
    return "fan:\n  type: GCS.Job\n  tool: busybox:1.36\n  commands_iter:\n" + indent(dedent(lines).strip("\n"), "    ")


def test_the_head_template_alone_is_valid():
    assert problems("") == []


def test_vars_rows_of_different_widths_are_an_error_on_the_short_row():
    d = only(iterated("""
        command: echo ${1} ${2}
        vars: [[a, 1], [b]]
    """), "vars-row-width")
    assert d.message == "vars row 1 has 1 values but row 0 has 2"
    assert (d.line, d.path) == (17, "workflow.fan.commands_iter.vars[1]")


def test_a_vars_row_width_different_from_the_vars_iter_positions_is_an_error():
    d = only(iterated("""
        command: echo ${1} ${2}
        vars: [[a, b, c]]
        vars_iter: [[x], [y]]
    """), "vars-width-mismatch")
    assert d.message == "vars rows have 3 values but vars_iter has 2 lists"
    assert d.line == 17


def test_a_nested_list_inside_a_vars_row_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars: [[a, [b, c]]]
    """), "vars-nested-list")
    assert d.message == "vars row 0 contains a nested list or mapping"
    assert d.line == 17


def test_a_positional_index_beyond_the_vars_iter_lists_is_an_error():
    d = only(iterated("""
        command: echo ${3}
        vars_iter: [[a], [b]]
    """), "positional-out-of-range")
    assert d.message == "${3} is used but there are only 2 positions"
    assert (d.line, d.column) == (16, 16)


def test_a_positional_variable_outside_an_iterated_command_is_an_error():
    d = only("""
      plain:
        type: GCS.Job
        tool: busybox:1.36
        commands: ["echo ${1}"]
    """, "positional-outside-iteration")
    assert d.message == "${1} is only defined inside commands_iter.command or paths_iter.path"
    assert d.line == 15


def test_a_vars_iter_string_that_is_not_a_list_input_range_or_get_result_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: [a b c]
    """), "vars-iter-element")
    assert d.message == "vars_iter element 'a b c' is not a list, an array input, range(...) or get_result(...)"
    assert (d.line, d.path) == (17, "workflow.fan.commands_iter.vars_iter[0]")


def test_a_vars_iter_variable_that_is_not_an_array_input_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ["${name}"]
    """), "vars-iter-not-array-input")
    assert d.message == "vars_iter element ${name} is a string input, not an array"
    assert (d.line, d.column) == (17, 19)


def test_range_with_begin_equal_to_end_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ["range(5, 5)"]
    """), "range-empty")
    assert d.message == "range(5, 5) is empty: begin must be less than end"
    assert d.line == 17


def test_range_end_from_a_number_input_default_is_checked():
    assert problems(iterated("""
        command: echo ${1}
        vars_iter: ["range(0, ${shards})"]
    """)) == []
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ["range(3, ${shards})"]
    """), "range-empty")
    assert d.message == "range(3, 3) is empty: begin must be less than end"
    assert (d.line, d.column) == (17, 19)


def test_range_with_a_non_numeric_argument_is_an_error_even_in_lenient_mode():
    steps = iterated("""
        command: echo ${1}
        vars_iter: ["range(0, ten)"]
    """)
    d = only(steps, "range-args")
    assert d.message == "range argument 'ten' is not an integer"
    assert [x.code for x in problems(steps, strict=False)] == ["range-args"]
    assert (d.line, d.column) == (17, 19)


def test_range_with_a_string_input_argument_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ["range(0, ${name})"]
    """), "range-args")
    assert d.message == "range argument ${name} is a string input, not a number"
    assert (d.line, d.column) == (17, 19)


def test_range_with_three_arguments_is_a_warning_and_a_zero_step_an_error():
    found = {d.code: d for d in problems(iterated("""
        command: echo ${1}
        vars_iter: ["range(0, 10, 0)"]
    """))}
    assert found["range-three-args"].severity == "warning"
    assert found["range-three-args"].message == "range with a step argument is a kubegene extension"
    assert found["range-step"].message == "range step 0 must be greater than 0"


def test_range_outside_vars_iter_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars: [["range(0, 3)"]]
    """), "range-misplaced")
    assert d.message == "range(...) is only valid as an element of vars_iter"
    assert (d.line, d.path) == (17, "workflow.fan.commands_iter.vars[0][0]")


def get_result_step(call, depends="[{target: prep, type: whole}]"):
    return iterated(f"""
        command: echo ${{1}}
        vars_iter: ['{call}']
    """) + f"\n  depends: {depends}"


def test_a_get_result_step_with_one_whole_dependency_on_its_target_is_valid():
    assert problems(get_result_step('get_result(prep, " ")')) == []


def test_get_result_of_an_unknown_step_is_an_error():
    d = only(get_result_step('get_result(prepare, " ")'), "result-target-unknown")
    assert d.message == "get_result refers to step 'prepare', which does not exist"
    assert d.hint == "did you mean `prep`?"
    assert d.line == 17


def test_get_result_of_a_step_with_two_containers_is_an_error():
    steps = get_result_step('get_result(two, " ")', "[{target: two}]") + \
        "\ntwo:\n  type: GCS.Job\n  tool: busybox:1.36\n  commands: [echo 1, echo 2]"
    d = only(steps, "result-target-fanout")
    assert d.message == "get_result reads the stdout of 'two', which runs 2 containers; it needs exactly 1"
    assert (d.line, d.column) == (17, 19)


def test_get_result_without_a_whole_dependency_on_its_target_is_an_error():
    d = only(get_result_step('get_result(prep, " ")', "[{target: prep, type: iterate}]"),
             "result-dependency")
    assert d.message == ("step 'fan' uses get_result(prep, ...) but does not have exactly one "
                         "`whole` dependency on 'prep'")
    assert d.hint == "add `depends: [{target: prep, type: whole}]`"
    assert (d.line, d.column) == (17, 19)


def test_a_get_result_separator_from_a_number_input_is_an_error():
    d = only(get_result_step("get_result(prep, ${shards})"), "result-argument-type")
    assert d.message == "the separator of get_result is ${shards}, a number input; it must be a string"
    assert (d.line, d.column) == (17, 19)


def test_get_result_outside_vars_iter_is_an_error():
    d = only("""
      plain:
        type: GCS.Job
        tool: busybox:1.36
        commands: ['get_result(prep, " ")']
    """, "get-result-misplaced")
    assert d.message == "get_result(...) is only valid as an element of vars_iter"
    assert d.line == 15


def test_check_result_outside_condition_is_an_error():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ['check_result(prep, "a")']
    """), "check-result-misplaced")
    assert d.message == "check_result(...) is only valid in `condition`"
    assert (d.line, d.column) == (17, 19)


def condition_step(condition, depends="[{target: prep}]"):
    return f"gated:\n  type: GCS.Job\n  tool: busybox:1.36\n  commands: [x]\n  condition: {condition}\n" \
           f"  depends: {depends}"


def test_conditions_may_be_literal_bools_bool_inputs_or_check_result():
    for condition in ("true", "false", "${flag}", "check_result(prep, \"a b\")"):
        assert problems(condition_step(condition)) == [], condition


def test_a_condition_using_get_result_is_an_error_with_a_hint():
    d = only(condition_step("get_result(prep)"), "condition-invalid")
    assert d.message == "condition of step 'gated' must be a bool, ${bool-input} or check_result(...); got 'get_result(prep)'"
    assert d.hint.startswith("get_result is only valid inside commands_iter.vars_iter")
    assert (d.line, d.column) == (16, 16)


def test_a_condition_that_is_a_plain_string_is_an_error_in_lenient_mode_too():
    steps = condition_step("maybe")
    assert [d.code for d in problems(steps, strict=False)] == ["condition-invalid"]


def test_a_condition_from_a_string_input_is_an_error():
    d = only(condition_step("${name}"), "condition-input-type")
    assert d.message == "condition ${name} of step 'gated' is a string input, not a bool"
    assert (d.line, d.column) == (16, 16)


def test_check_result_of_an_unknown_step_is_an_error_in_both_modes():
    steps = condition_step('check_result(qc, "PASS")')
    d = only(steps, "result-target-unknown")
    assert d.message == "check_result refers to step 'qc', which does not exist"
    assert [x.code for x in problems(steps, strict=False)] == ["result-target-unknown"]
    assert (d.line, d.column) == (16, 16)


def test_check_result_without_a_dependency_on_its_target_is_an_error():
    d = only(condition_step('check_result(prep, "a")', "[]"), "result-dependency")
    assert d.message == ("step 'gated' uses check_result(prep, ...) but does not have exactly one "
                         "`whole` dependency on 'prep'")
    assert (d.line, d.column) == (16, 16)


def test_check_result_needs_exactly_two_arguments():
    d = only(condition_step("check_result(prep)"), "check-result-args")
    assert d.message == 'check_result takes check_result(step, "expected"); got 1 arguments'
    assert (d.line, d.column) == (16, 16)


def test_a_condition_naming_no_declared_input_is_an_error_in_both_modes():
    steps = condition_step("${flg}")
    d = only(steps, "condition-input-undefined")
    assert d.message == "condition ${flg} of step 'gated' names no declared input"
    assert d.hint == "did you mean ${flag}?"
    assert [x.code for x in problems(steps, strict=False)] == ["condition-input-undefined"]
    assert (d.line, d.column) == (16, 16)


def test_a_range_too_long_to_expand_is_an_error_not_a_hang():
    d = only(iterated("""
        command: echo ${1}
        vars_iter: ["range(0, 10000000000000000000000)"]
    """), "range-too-long")
    assert d.message == "range gives 10000000000000000000000 values; a step may have at most 100000 containers"
    assert (d.line, d.path) == (17, "workflow.fan.commands_iter.vars_iter[0]")


def test_a_range_argument_beyond_float_range_is_not_an_integer_and_is_shown_shortened():
    d = only(iterated(f"""
        command: echo ${{1}}
        vars_iter: ["range(0, {'9' * 5000})"]
    """), "range-args")
    assert d.message == "range argument '9999999999999999999999999999999999999...' is not an integer"
    assert d.line == 17


def test_a_cartesian_product_beyond_the_step_limit_is_an_error_at_commands_iter():
    d = only(iterated("""
        command: echo ${1} ${2} ${3}
        vars_iter: ["range(0, 1000)", "range(0, 1000)", "range(0, 1000)"]
    """), "step-too-many-containers")
    assert d.message == "step 'fan' expands to 1000000000 containers; at most 100000 per step"
    assert (d.line, d.column, d.path) == (15, 5, "workflow.fan.commands_iter")
