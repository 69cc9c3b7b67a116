"""Checklist items 22, 24 and 25 (§10): undefined variables, volumes, outputs."""

from textwrap import dedent

from gcsapply.template import parse_template

HEAD = """\
version: genecontainer_0_1
inputs:
  sample: {type: string, default: s1}
  base: {type: string, default: /data}
workflow:
  hello:
    type: GCS.Job
    tool: busybox:1.36
    commands:
      - echo ${sample}
"""  # 10 lines


def problems(tail, strict=True):
    return parse_template(HEAD + dedent(tail).strip("\n") + "\n", "t.yaml").validate(strict)


def only(tail, code, strict=True):
    found = [d for d in problems(tail, strict) if d.code == code]
    assert len(found) == 1, [d.render() for d in problems(tail, strict)]
    return found[0]


def raw_problems(extra, strict=True):
    """``extra`` is appended verbatim (to continue the `hello` step's commands, say)."""
    return parse_template(HEAD + extra, "t.yaml").validate(strict)


def raw_only(extra, code):
    found = [d for d in raw_problems(extra) if d.code == code]
    assert len(found) == 1, [d.render() for d in raw_problems(extra)]
    return found[0]


def test_a_misspelt_variable_is_undefined_with_a_did_you_mean_hint():
    d = raw_only("  typo:\n    type: GCS.Job\n    tool: busybox:1.36\n    commands: [\"echo ${sampel}\"]\n",
                 "undefined-variable")
    assert d.message == "undefined variable ${sampel}"
    assert d.hint == "did you mean ${sample}?"
    assert (d.line, d.column, d.path) == (14, 16, "workflow.typo.commands[0]")


def test_built_in_pvc_names_item_and_inputs_are_defined():
    assert problems("""
    volumes:
      ref: {mount_path: /ref, mount_from: {pvc: "${GCS_REF_PVC}"}}
      data: {mount_path: /obs, mount_from: {pvc: "${GCS_DATA_PVC}"}}
      sfs: {mount_path: /sfs, mount_from: {pvc: "${BCE_SFS_PVC}"}}
    """) == []


def test_a_shell_style_default_variable_is_undefined_and_the_hint_says_to_drop_the_braces():
    d = raw_only("      - echo ${HOME:-/root}\n", "undefined-variable")
    assert d.message == "undefined variable ${HOME:-/root}"
    assert "write $NAME without braces" in d.hint
    assert d.line == 11


def test_undefined_variables_are_not_reported_in_lenient_mode():
    assert raw_problems("      - echo ${nope}\n", strict=False) == []


def test_item_outside_an_iterated_command_is_a_warning():
    d = raw_only("      - echo ${item}\n", "item-outside-iteration")
    assert d.severity == "warning"
    assert d.line == 11


def volume(body):
    return "volumes:\n  data:\n" + dedent(body).strip("\n").replace("\n", "\n    ").join(["    ", ""])


def test_a_volume_without_mount_path_is_an_error_in_both_modes():
    tail = volume("mount_from: {pvc: my-pvc}")
    d = only(tail, "volume-mount-path-missing")
    assert d.message == "volume 'data' has no `mount_path`"
    assert (d.line, d.column) == (12, 3)
    assert [x.code for x in problems(tail, strict=False)] == ["volume-mount-path-missing"]


def test_a_volume_without_pvc_is_an_error():
    d = only(volume("mount_path: /data\nmount_from: {sub_path: x}"), "volume-pvc-missing")
    assert d.message == "volume 'data' has no `mount_from.pvc`"
    assert d.line == 14


def test_a_relative_mount_path_is_an_error_in_strict_mode_only():
    tail = volume("mount_path: data\nmount_from: {pvc: my-pvc}")
    d = only(tail, "volume-mount-path-relative")
    assert d.message == "mount_path 'data' of volume 'data' is not an absolute path"
    assert d.hint == "write `mount_path: /data`"
    assert (d.line, d.column) == (13, 17)
    assert problems(tail, strict=False) == []


def test_a_mount_path_from_an_input_is_checked_after_substitution():
    assert problems(volume("mount_path: ${base}\nmount_from: {pvc: my-pvc}")) == []
    d = only(volume("mount_path: ${sample}\nmount_from: {pvc: my-pvc}"), "volume-mount-path-relative")
    assert d.message == "mount_path 's1' of volume 'data' is not an absolute path"
    assert (d.line, d.column) == (13, 17)


def test_a_colon_in_mount_path_is_an_error():
    d = only(volume("mount_path: /data:ro\nmount_from: {pvc: my-pvc}"), "volume-mount-path-colon")
    assert d.message == "mount_path '/data:ro' of volume 'data' contains ':'"
    assert (d.line, d.column) == (13, 17)


def test_an_absolute_sub_path_is_an_error():
    d = only(volume("mount_path: /data\nmount_from: {pvc: my-pvc, sub_path: /abc}"), "volume-sub-path-absolute")
    assert d.message == "sub_path '/abc' of volume 'data' must be relative"
    assert d.hint == "write `sub_path: abc`"
    assert (d.line, d.column) == (14, 41)


def test_only_to_naming_an_unknown_step_is_an_error():
    d = only(volume("mount_path: /data\nmount_from: {pvc: my-pvc}\nonly_to: [hello, helo]"), "volume-only-to-unknown")
    assert d.message == "only_to of volume 'data' names 'helo', which is not a step"
    assert (d.line, d.path) == (15, "volumes.data.only_to[1]")


def test_two_volumes_at_the_same_mount_path_are_an_error():
    d = only("""
    volumes:
      a: {mount_path: /data, mount_from: {pvc: p1}}
      b: {mount_path: /data/, mount_from: {pvc: p2}}
    """, "volume-mount-path-duplicate")
    assert d.message == "volumes 'a' and 'b' are both mounted at '/data/' in the same step"
    assert d.line == 13


def test_two_volumes_at_the_same_path_for_disjoint_steps_are_fine():
    extra = ("  other:\n    type: GCS.Job\n    tool: busybox:1.36\n    commands: [x]\n"
             "volumes:\n"
             "  a: {mount_path: /data, mount_from: {pvc: p1}, only_to: [hello]}\n"
             "  b: {mount_path: /data, mount_from: {pvc: p2}, only_to: [other]}\n")
    assert raw_problems(extra) == []
    clash = raw_only(extra.replace("only_to: [other]", "only_to: [other, hello]"),
                     "volume-mount-path-duplicate")
    assert clash.line == 17


def test_an_output_with_path_instead_of_paths_gets_a_did_you_mean_hint():
    found = {d.code: d for d in problems("""
    outputs:
      vcf:
        path: /obs/out.vcf
    """)}
    assert found["unknown-key"].message == "unknown key `path` in output 'vcf'"
    assert found["unknown-key"].hint == "did you mean `paths`? It takes a list: `paths: [file, ...]`"
    assert (found["unknown-key"].line, found["unknown-key"].column) == (13, 5)
    assert found["output-paths-missing"].message == "output 'vcf' has neither `paths` nor `paths_iter`"
    assert found["output-paths-missing"].line == 12


def test_paths_iter_without_vars_iter_is_an_error():
    d = only("""
    outputs:
      vcf:
        paths_iter:
          path: ${1}.vcf
    """, "output-paths-iter-incomplete")
    assert d.message == "paths_iter of output 'vcf' has no `vars_iter`"
    assert d.line == 13


def test_paths_and_paths_iter_together_is_a_warning_and_both_expand():
    tail = """
    outputs:
      vcf:
        paths: [all.vcf]
        paths_iter:
          path: ${1}/${sample}.vcf
          vars_iter: [[a, b]]
    """
    d = only(tail, "output-paths-both")
    assert d.severity == "warning"
    template = parse_template(HEAD + dedent(tail).strip("\n") + "\n", "t.yaml")
    assert template.expand().outputs == {"vcf": ["all.vcf", "a/s1.vcf", "b/s1.vcf"]}
    assert (d.line, d.column) == (12, 3)


def test_only_to_entries_that_are_lists_or_mappings_are_errors_not_crashes():
    tail = volume("mount_path: /data\nmount_from: {pvc: my-pvc}\nonly_to: [hello, {a: b}, [c]]")
    found = [d for d in problems(tail) if d.code == "volume-only-to-unknown"]
    assert [(d.line, d.path) for d in found] == [(15, "volumes.data.only_to[1]"), (15, "volumes.data.only_to[2]")]
    assert found[1].message == "only_to of volume 'data' names '[\"c\"]', which is not a step"


def test_a_pvc_that_is_not_a_name_is_an_error():
    d = only(volume("mount_path: /data\nmount_from: {pvc: [a, b]}"), "volume-pvc-invalid")
    assert d.message == "mount_from.pvc of volume 'data' must be a PVC name, not an array"
    assert (d.line, d.column) == (14, 23)


def test_a_paths_iter_path_that_is_a_list_is_an_error():
    d = only("""
    outputs:
      vcf:
        paths_iter:
          path: [a.vcf, b.vcf]
          vars_iter: [[a]]
    """, "output-path-not-string")
    assert d.message == "paths_iter.path of output 'vcf' must be a string (one path using ${1}, ...)"
    assert d.line == 14


def test_every_template_diagnostic_has_a_hint():
    """Shapes the checklist forbids, one of each, all in one template."""
    text = """\
version: 2
inputs:
  n: {type: number, default: x}
  bad.name: {default: 1}
  s: {type: strng}
workflow:
  Bad_Name: 3
  a:
    type: CCE.Job
    tool: ${t}
    resources: {cpu: two, memory: x, gpu: 1}
    commands: echo
    commands_iter: 5
    condition: maybe
    depends: [{target: "${x}", type: each}, 3, {target: nope}, {target: a}]
  b:
    commands_iter: {command: 5, vars: [[1], [1, 2]], vars_iter: ["range(5, 1)", "x", "get_result(a)"]}
  c:
    tool: a:1
    commands_iter: {vars_iter: [[1]]}
    condition: check_result(zz)
volumes: 3
outputs:
  o: 3
  p: {path: x}
  q: {paths_iter: 3}
  r: {paths_iter: {path: [x]}}
extra: 1
"""
    diagnostics = parse_template(text, "t.yaml").validate(strict=True)
    assert len({d.code for d in diagnostics}) > 25
    assert [d.code for d in diagnostics if not d.hint] == []
