"""Checklist items 1-4 (§10): parseable YAML, version, workflow, unknown keys."""

from textwrap import dedent

from gcsapply.template import load_template, parse_template


def problems(text, strict=True):
    return parse_template(dedent(text).lstrip("\n"), "t.yaml").validate(strict=strict)


def only(text, code, strict=True):
    found = [d for d in problems(text, strict) if d.code == code]
    assert len(found) == 1, [d.render() for d in problems(text, strict)]
    return found[0]


GOOD = """
version: genecontainer_0_1
workflow:
  hello:
    type: GCS.Job
    tool: busybox:1.36
    commands:
      - echo hello
"""


def test_a_minimal_template_is_valid_with_no_diagnostics():
    assert problems(GOOD) == []


def test_invalid_yaml_is_reported_with_its_line():
    d = only("version: genecontainer_0_1\nworkflow:\n  a: [unclosed\n", "yaml-syntax")
    assert d.render() == ("t.yaml:4:1: error: invalid YAML: while parsing a flow sequence did not find "
                          "expected ',' or ']'\n  hint: check indentation and quoting around this line")


def test_a_tab_in_indentation_is_reported_on_its_line_and_column():
    d = only("version: genecontainer_0_1\nworkflow:\n\thello: {}\n", "yaml-tab")
    assert (d.line, d.column) == (3, 1)
    assert d.message == "tab character in indentation"


def test_a_top_level_list_is_not_a_template():
    d = only("- version: genecontainer_0_1\n", "template-not-mapping")
    assert d.message == "the top level of a template must be a mapping"
    assert d.line == 1


def test_an_empty_file_is_reported():
    d = only("", "template-empty")
    assert d.message == "the template file is empty"


def test_a_second_yaml_document_is_reported_on_its_line():
    d = only(GOOD + "---\nversion: genecontainer_0_1\n", "template-multiple-documents")
    assert d.line == 9
    assert d.message == "a template must be a single YAML document"


def test_duplicate_keys_are_reported_naming_the_first_line():
    d = only(GOOD + "  hello:\n    tool: x:1\n", "duplicate-key")
    assert d.line == 8
    assert d.message == "duplicate key 'hello' (first defined on line 3)"


def test_a_missing_version_is_an_error():
    d = only(GOOD.replace("version: genecontainer_0_1\n", ""), "version-missing")
    assert d.message == "the template has no `version`"
    assert (d.line, d.column) == (1, 1)
    assert d.hint == "add `version: genecontainer_0_1` at the top"


def test_an_unknown_version_is_an_error_at_the_value():
    d = only(GOOD.replace("genecontainer_0_1", "genecontainer_0_2"), "version-unsupported")
    assert d.message == "unsupported version 'genecontainer_0_2'; GCS accepts only 'genecontainer_0_1'"
    assert (d.line, d.column, d.path) == (1, 10, "version")


def test_a_missing_workflow_is_an_error():
    d = only("version: genecontainer_0_1\n", "workflow-missing")
    assert d.message == "the template has no `workflow`"
    assert (d.line, d.column) == (1, 1)


def test_an_empty_workflow_is_an_error():
    d = only("version: genecontainer_0_1\nworkflow: {}\n", "workflow-empty")
    assert d.message == "`workflow` defines no steps"
    assert d.line == 2


def test_an_unknown_top_level_key_is_an_error_in_strict_mode_with_a_suggestion():
    d = only(GOOD + "volume:\n  data: {}\n", "unknown-key")
    assert d.message == "unknown key `volume` in the template's top level"
    assert (d.line, d.column, d.path) == (8, 1, "volume")
    assert d.hint.startswith("did you mean `volumes`?")


def test_unknown_keys_are_accepted_in_lenient_mode():
    assert problems(GOOD + "volume:\n  data: {}\n", strict=False) == []


def test_an_unknown_step_key_is_an_error_in_strict_mode():
    d = only(GOOD + "    retries: 3\n", "unknown-key")
    assert d.message == "unknown key `retries` in step 'hello'"
    assert (d.line, d.column, d.path) == (8, 5, "workflow.hello.retries")


def test_generic_condition_is_rejected_naming_the_key_as_a_kubegene_extension():
    d = only(GOOD + "    generic_condition:\n      depend_job_name: x\n", "unsupported-key")
    assert d.message == "`generic_condition` is not part of the GCS template grammar (step 'hello')"
    assert "kubegene-only extension that GCS does not support" in d.hint
    assert d.line == 8


def test_load_template_reports_an_unreadable_file_without_raising(tmp_path):
    template = load_template(tmp_path / "missing.yaml", "missing.yaml")
    [d] = template.validate()
    assert d.code == "unreadable-file" and d.file == "missing.yaml"
    assert d.hint == "check the file's permissions, or where its symbolic link points"
    assert template.data is None and template.step_names == []


def test_load_template_keeps_the_raw_bytes_and_the_shown_name(tmp_path):
    path = tmp_path / "wf.yaml"
    path.write_text(dedent(GOOD).lstrip("\n"))
    template = load_template(path, "templates/wf.yaml")
    assert template.raw == path.read_bytes()
    assert template.file == "templates/wf.yaml"
    assert template.step_names == ["hello"]
    assert template.validate() == []


def test_invalid_utf8_is_reported_with_its_line():
    template = parse_template(b"version: genecontainer_0_1\n# \xff\n", "t.yaml")
    [d] = template.validate()
    assert (d.code, d.line) == ("not-utf8", 2)
