"""Checklist items 10-14 and 20-21 (§10): step names, type, tool, commands, resources, depends."""

from textwrap import dedent, indent

from gcsapply.template import parse_template

HEAD = "version: genecontainer_0_1\ninputs:\n  mem: {type: string, default: 4G}\nworkflow:\n"  # 4 lines


def problems(steps, strict=True):
    return parse_template(HEAD + indent(dedent(steps).strip("\n"), "  ") + "\n", "t.yaml").validate(strict)


def only(steps, code, strict=True):
    found = [d for d in problems(steps, strict) if d.code == code]
    assert len(found) == 1, [d.render() for d in problems(steps, strict)]
    return found[0]


def codes(steps, strict=True):
    return sorted(d.code for d in problems(steps, strict))


def test_a_step_name_with_uppercase_and_underscore_is_invalid():
    d = only("""
      Align_Reads:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [bwa mem]
    """, "step-name-invalid")
    assert d.message == ("step name 'Align_Reads' must start with a lowercase letter, use only a-z, 0-9 "
                         "and '-', end with a letter or digit, and be at most 40 characters")
    assert d.hint == "rename it, e.g. `align-reads`"
    assert (d.line, d.column, d.path) == (5, 3, "workflow.Align_Reads")


def test_a_step_name_ending_in_a_hyphen_is_invalid_only_in_strict_mode():
    steps = """
      align-:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [bwa mem]
    """
    d = only(steps, "step-name-invalid")
    assert (d.line, d.column) == (5, 3)
    assert d.message.startswith("step name 'align-' must start with a lowercase letter")
    assert problems(steps, strict=False) == []


def test_a_step_name_longer_than_forty_characters_is_invalid():
    d = only(f"""
      {"a" * 41}:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [bwa mem]
    """, "step-name-invalid")
    assert d.line == 5


def test_a_missing_step_type_is_a_warning_in_strict_mode_and_fine_in_lenient_mode():
    steps = """
      align:
        tool: bwa:0.7.12
        commands: [bwa mem]
    """
    d = only(steps, "step-type-missing")
    assert d.severity == "warning"
    assert d.message == "step 'align' has no `type`; treated as GCS.Job"
    assert (d.line, d.column) == (5, 3)
    assert problems(steps, strict=False) == []


def test_a_step_type_other_than_gcs_job_is_an_error_in_both_modes():
    steps = """
      align:
        type: CCE.Job
        tool: bwa:0.7.12
        commands: [bwa mem]
    """
    d = only(steps, "step-type-invalid")
    assert d.message == "step type 'CCE.Job' is not supported; GCS runs only GCS.Job"
    assert (d.line, d.column) == (6, 11)
    assert [x.code for x in problems(steps, strict=False)] == ["step-type-invalid"]


def test_a_missing_tool_is_an_error_at_the_step():
    d = only("""
      align:
        type: GCS.Job
        commands: [bwa mem]
    """, "tool-missing")
    assert d.message == "step 'align' has no `tool`"
    assert d.line == 5


def test_a_tool_given_as_a_variable_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: ${tool}
        commands: [bwa mem]
    """, "tool-variable")
    assert d.message == "tool of step 'align' must be literal, not '${tool}'"
    assert (d.line, d.column) == (7, 11)


def test_a_tool_without_a_version_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa
        commands: [bwa mem]
    """, "tool-format")
    assert d.message == "tool 'bwa' of step 'align' is not name:version"
    assert d.line == 7


def test_tools_are_never_checked_against_a_catalogue():
    assert problems("""
      align:
        type: GCS.Job
        tool: no-such-tool:9.9
        commands: [x]
    """) == []


def test_a_step_with_neither_commands_nor_commands_iter_is_an_error():
    steps = """
      align:
        type: GCS.Job
        tool: bwa:0.7.12
    """
    d = only(steps, "commands-missing")
    assert d.message == "step 'align' has neither `commands` nor `commands_iter`"
    assert d.line == 5
    assert codes(steps, strict=False) == ["commands-missing"]


def test_commands_iter_with_a_command_but_no_vars_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands_iter:
          command: echo ${1}
    """, "commands-iter-incomplete")
    assert d.message == "commands_iter of step 'align' has a `command` but no `vars` or `vars_iter`"
    assert (d.line, d.column) == (8, 5)


def test_commands_iter_with_vars_but_no_command_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands_iter:
          vars_iter: [[a, b]]
    """, "commands-iter-incomplete")
    assert d.message == "commands_iter of step 'align' has vars but no `command`"
    assert d.line == 8


def test_commands_and_commands_iter_together_is_a_warning():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [echo first]
        commands_iter:
          command: echo ${1}
          vars_iter: [[a]]
    """, "commands-and-commands-iter")
    assert d.severity == "warning"
    assert d.message == "step 'align' has both `commands` and `commands_iter`"
    assert d.line == 9


def test_commands_must_be_a_list_of_strings():
    found = {d.code: d for d in problems("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: echo hi
      other:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [echo, {a: b}]
    """)}
    assert found["commands-not-list"].message == "commands of step 'align' must be a list"
    assert found["commands-not-list"].line == 8
    assert found["command-not-string"].message == "command 1 of step 'other' must be a string"
    assert (found["command-not-string"].line, found["command-not-string"].column) == (12, 22)


def test_a_cpu_without_a_number_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        resources: {cpu: two, memory: 2G}
        commands: [x]
    """, "resource-cpu-format")
    assert d.message == "cpu 'two' of step 'align' is not a number with an optional unit"
    assert (d.line, d.column) == (8, 22)


def test_memory_is_checked_after_substituting_input_defaults():
    steps = """
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        resources: {cpu: 0.5c, memory: "${mem}"}
        commands: [x]
    """
    assert problems(steps) == []
    d = only(steps.replace("${mem}", "${mem}B"), "resource-memory-format")
    assert d.message == "memory '4GB' of step 'align' is not a number with an optional unit"
    assert (d.line, d.column) == (8, 36)


def test_a_gpu_resource_is_rejected_in_strict_mode():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        resources: {gpu: 1}
        commands: [x]
    """, "unknown-key")
    assert d.hint == "the GCS template grammar has no `gpu` resource; only cpu and memory"
    assert (d.line, d.column) == (8, 17)


def test_a_long_step_description_is_a_warning():
    d = only(f"""
      align:
        type: GCS.Job
        description: {"d" * 256}
        tool: bwa:0.7.12
        commands: [x]
    """, "step-description-too-long")
    assert d.severity == "warning"
    assert d.message == "description of step 'align' is 256 characters; GCS documents at most 255"
    assert d.line == 7


def test_depending_on_an_unknown_step_is_an_error_with_a_suggestion():
    steps = """
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
      merge-bams:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends: [{target: merge}]
    """
    d = only(steps, "depends-target-unknown")
    assert d.message == "step 'merge-bams' depends on 'merge', which is not a step"
    assert d.hint == "did you mean `merge-bams`?"
    assert (d.line, d.column, d.path) == (13, 24, "workflow.merge-bams.depends[0].target")
    assert codes(steps, strict=False) == ["depends-target-unknown"]


def test_a_depends_target_given_as_a_variable_is_an_error():
    d = only("""
      align:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends:
          - target: ${up}
    """, "depends-target-variable")
    assert d.message == "depends target '${up}' must be a literal step name"
    assert (d.line, d.column) == (10, 17)


def test_a_dependency_type_other_than_whole_or_iterate_is_an_error():
    d = only("""
      a:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
      b:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends:
          - target: a
            type: each
    """, "depends-type-invalid")
    assert d.message == "dependency type 'each' is not `whole` or `iterate`"
    assert (d.line, d.column) == (15, 15)


def test_two_steps_depending_on_each_other_are_a_cycle():
    steps = """
      a:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends: [{target: b}]
      b:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends: [{target: a}]
    """
    d = only(steps, "dependency-cycle")
    assert d.message == "steps depend on each other in a cycle: a -> b -> a"
    assert d.line == 14
    assert codes(steps, strict=False) == ["dependency-cycle"]


def test_a_step_depending_on_itself_is_a_cycle():
    d = only("""
      a:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x]
        depends: [{target: a}]
    """, "dependency-cycle")
    assert d.message == "steps depend on each other in a cycle: a -> a"
    assert (d.line, d.column) == (9, 15)


def test_iterate_between_steps_of_different_widths_is_a_warning():
    d = only("""
      a:
        type: GCS.Job
        tool: bwa:0.7.12
        commands: [x, y]
      b:
        type: GCS.Job
        tool: bwa:0.7.12
        commands_iter:
          command: echo ${1}
          vars_iter: [[1, 2, 3]]
        depends: [{target: a, type: iterate}]
    """, "iterate-width-mismatch")
    assert d.severity == "warning"
    assert d.message == ("step 'b' (3 containers) iterates over 'a' (2 containers); "
                         "unpaired containers get no edge")
    assert d.line == 15


def test_a_depends_target_that_is_a_mapping_is_an_error_not_a_crash():
    template = parse_template(
        "version: genecontainer_0_1\n"
        "workflow:\n"
        "  a:\n"
        "    type: GCS.Job\n"
        "    tool: bwa:0.7.12\n"
        "    commands: [echo a]\n"
        "    depends:\n"
        "      - target: {k: v}\n",
        "t.yaml",
    )
    [problem] = [d for d in template.validate(strict=True) if d.is_error]
    assert (problem.code, problem.line) == ("depends-target-invalid", 8)


def test_a_dependency_chain_of_thousands_of_steps_is_checked_without_recursion_errors():
    n = 3000
    steps = "".join(f"s{i}:\n  type: GCS.Job\n  tool: a:1\n  commands: [x]\n  depends: [{{target: s{(i + 1) % n}}}]\n"
                    for i in range(n))
    [d] = [d for d in problems(steps) if d.is_error]
    assert d.code == "dependency-cycle"
    assert d.message.startswith("steps depend on each other in a cycle: s0 -> s1 -> s2 -> ")
    assert d.message.endswith(" -> s2999 -> s0")
    assert (d.line, d.path) == (4 + 5 * n, f"workflow.s{n - 1}.depends[0]")
