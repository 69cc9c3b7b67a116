"""``plan --markdown`` explains a failure on stdout, so CI never posts an empty pull-request
comment: every error with its file:line, field and hint, inside a block that hostile manifest
text cannot break out of. Through the real CLI against the embedded emulator."""

from __future__ import annotations

import json
import textwrap

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply.commands import plan

# Values are quoted in a message only up to 40 characters: one attack per manifest.
HOSTILE = {"a": "[x](https://evil.example) ![i](x)", "b": "<img src=x onerror=alert(1)>",
           "c": "@team ```` <!-- <details>"}
CREDENTIAL_VARIABLES = ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
                        "HW_SECURITY_TOKEN", "HW_USER_NAME", "HW_USER_PASSWORD", "HW_DOMAIN_NAME",
                        "HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID", "GCSAPPLY_TRUSTED_ENDPOINTS")
COHORT = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.csv
  key: id
  template: {workflow: hello, inputs: {sample: "{{ sample.id }}"}}
"""
BAD_TEMPLATE = ECHO_TEMPLATE.replace("    commands:\n", "    retries: 3\n    commands:\n")


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys) -> Gcs:
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    return gcs


def plan_markdown(gcs: Gcs, *extra: str):
    return gcs.run("plan", gcs.root, "--markdown", *extra)


def fenced_lines(markdown: str) -> list[str]:
    """The lines of the fenced block that ends a failure comment."""
    lines = markdown.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("```"))
    fence = lines[start].removesuffix("text")
    assert lines[start + 1:].index(fence) == len(lines) - start - 2  # closed on the last line only
    return lines[start + 1:-1]


def commonmark(markdown: str) -> str:
    """The HTML a CommonMark renderer makes of ``markdown`` (markdown-it-py comes with the test
    tools: import-linter needs rich, which needs it)."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").render(markdown)


def test_a_schema_error_in_a_manifest_is_explained_with_file_line_field_and_hint(gcs):
    gcs.write({"a.yaml": execution("a", "s1", extra="priority: high\n")})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert result.out == textwrap.dedent("""\
        ### gcsapply plan failed

        **The manifests, templates or sample sheets are invalid.** 1 error; nothing in GCS was changed.

        ```text
        a.yaml:7:13: error: 'priority' must be an integer (got string 'high') (at spec.priority)
          hint: write a number, without quotes
        ```
        """)
    assert result.err == ("a.yaml:7:13: error: 'priority' must be an integer (got string 'high') "
                          "(at spec.priority)\n  hint: write a number, without quotes\n"
                          "1 error, 0 warnings\n")


def test_a_bad_template_is_explained_at_its_line(gcs):
    gcs.write({"templates/hello.yaml": BAD_TEMPLATE})
    result = plan_markdown(gcs)
    assert result.code == 1
    lines = fenced_lines(result.out)
    assert lines == [
        "templates/hello.yaml:8:5: error: unknown key `retries` in step 'hello' (at workflow.hello.retries)",
        "  hint: did you mean `resources`? Allowed here: `description`, `type`, `tool`, `resources`, "
        "`commands`, `commands_iter`, `condition`, `depends`"]


def test_a_bad_sample_sheet_is_explained_at_its_row(gcs):
    gcs.write({"cohort.yaml": COHORT, "samples.csv": "id\nx1\nx1\n"})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert fenced_lines(result.out) == [
        "samples.csv:3: error: column 'id': duplicate key 'x1' (first on line 2)",
        "  hint: keys must be unique: each row is one run"]


def test_two_errors_in_two_files_are_both_listed_in_file_order(gcs):
    gcs.write({"a.yaml": execution("a", "s1", extra="priority: high\n"),
               "templates/hello.yaml": BAD_TEMPLATE})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "**The manifests, templates or sample sheets are invalid.** 2 errors;" in result.out
    lines = fenced_lines(result.out)
    assert [line.split(": error: ")[0] for line in lines if ": error: " in line] == [
        "a.yaml:7:13", "templates/hello.yaml:8:5"]
    assert sum(line.startswith("  hint: ") for line in lines) == 2
    assert result.err.endswith("2 errors, 0 warnings\n")


def test_a_guardrail_refusal_is_explained(gcs):
    gcs.write({"stack.yaml": STACK + "  limits: {maxLaunchesPerApply: 1}\n",
               "b.yaml": execution("b", "s2")})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "**The plan was refused by a guardrail.** 1 error; nothing in GCS was changed." in result.out
    assert fenced_lines(result.out) == [
        "error: the plan is refused:",
        "  - the plan launches 2 run(s), above the limit of 1 (limits.maxLaunchesPerApply; the default "
        "is 1000); rerun with --allow-launches 2 if that is intended",
        "  hint: fix the manifests or the flags above; nothing was changed"]
    assert result.err.startswith("error: the plan is refused:\n")


def test_missing_credentials_for_a_real_endpoint_are_explained(gcs, monkeypatch):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    gcs.write({"stack.yaml": STACK.replace("endpoint: embedded", "endpoint: region")})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "**The stack's endpoint, region, project or credentials are not usable.**" in result.out
    lines = fenced_lines(result.out)
    assert lines[0] == ("error: stack.yaml:5:13: no credentials for region cn-north-4 "
                        "(https://gcs.cn-north-4.myhuaweicloud.com)")
    assert lines[1].startswith("  hint: set HW_ACCESS_KEY and HW_SECRET_KEY")
    assert result.err.startswith("error: stack.yaml:5:13: no credentials")


def test_a_damaged_state_file_is_explained(gcs):
    (gcs.root / ".gcsapply").mkdir()
    (gcs.root / ".gcsapply" / "state.json").write_text("{not json")
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "**The state cannot be used.**" in result.out
    assert "the state file is not valid JSON" in fenced_lines(result.out)[0]


def test_an_error_answer_of_gcs_is_explained(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys, fault_rate=1.0)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "**GCS could not be read.**" in result.out
    assert fenced_lines(result.out)[0].startswith("error: GET /v1/")


def test_a_usage_error_found_after_parsing_is_explained(gcs, tmp_path):
    result = plan_markdown(gcs, "--out", tmp_path / "nowhere" / "plan.json")
    assert result.code == 1
    assert "**The command line is wrong.**" in result.out
    assert fenced_lines(result.out)[1] == "  hint: --out takes the path of a file in a writable directory"


def test_hostile_manifest_text_cannot_open_a_link_an_image_html_or_a_mention(gcs):
    gcs.write({f"{name}.yaml": execution(name, "s1", extra=f"priority: {json.dumps(value)}\n")
               for name, value in HOSTILE.items()})
    result = plan_markdown(gcs)
    assert result.code == 1
    html = commonmark(result.out)
    assert "<a " not in html and "<img" not in html and "<!--" not in html and "<details" not in html
    # every value stays inside the one code block (its fence outruns the value's backticks)
    head, block = result.out.split("`````text\n")
    assert block.endswith("\n`````\n") and block.count("`````") == 1
    assert not any(part in head for part in ("evil", "<img", "@team", "<!--"))
    lines = fenced_lines(result.out)
    for name, value in HOSTILE.items():
        assert f"{name}.yaml:7:13: error: 'priority' must be an integer (got string '{value}') " \
               "(at spec.priority)" in lines
    assert html.count("<pre><code") == 1 and "@team ````" in html.split("<pre><code")[1]


def test_a_carriage_return_in_a_value_cannot_end_a_line_of_the_block_early(gcs):
    gcs.write({"a.yaml": execution("a", "s1", extra='priority: "x\\r```\\r<img src=x>"\n')})
    result = plan_markdown(gcs)
    assert result.code == 1
    assert "\r" not in result.out
    assert "(got string 'x\\r```\\r<img src=x>')" in fenced_lines(result.out)[0]
    assert "<img" not in commonmark(result.out)


@pytest.mark.parametrize("argv", [("plan",), ("plan", "--json"), ("validate",)])
def test_only_plan_markdown_prints_markdown(gcs, argv):
    gcs.write({"a.yaml": execution("a", "s1", extra="priority: high\n")})
    result = gcs.run(argv[0], gcs.root, *argv[1:])
    assert result.code == 1
    assert "gcsapply plan failed" not in result.out + result.err


def test_an_internal_error_is_explained_by_its_type_only(gcs, monkeypatch):
    def broken(args):
        raise KeyError("secret-ish detail")

    monkeypatch.setattr(plan, "run", broken)
    result = plan_markdown(gcs)
    assert result.code == 1
    assert fenced_lines(result.out)[0] == "error: internal error: KeyError"
    assert "secret-ish detail" not in result.out
    assert result.err.startswith("error: internal error: KeyError: 'secret-ish detail'\n")
