"""``render_failure_markdown``: why a plan failed, as a pull-request comment that stays under
GitHub's limit and that nothing quoted in it can break out of."""

from __future__ import annotations

import textwrap

from gcsapply.diagnostics import ERROR, WARNING, Diagnostic
from gcsapply.errors import ApiError, InputError, LockHeldError
from gcsapply.render.markdown import fenced, render_failure_markdown


def diagnostic(line: int, message: str = "bad value", *, severity: str = ERROR) -> Diagnostic:
    return Diagnostic(severity, "schema", message, "runs.yaml", line, 3, "spec.priority",
                      "write a number")


def test_every_diagnostic_is_listed_sorted_with_its_place_field_and_hint_and_warnings_counted():
    error = InputError("invalid input", [diagnostic(9), diagnostic(2, "unused", severity=WARNING),
                                         diagnostic(4)])
    assert render_failure_markdown(error) == textwrap.dedent("""\
        ### gcsapply plan failed

        **The manifests, templates or sample sheets are invalid.** 2 errors, 1 warning; nothing in GCS was changed.

        ```text
        runs.yaml:2:3: warning: unused (at spec.priority)
          hint: write a number
        runs.yaml:4:3: error: bad value (at spec.priority)
          hint: write a number
        runs.yaml:9:3: error: bad value (at spec.priority)
          hint: write a number
        ```
        """)


def test_a_long_list_is_cut_on_error_boundaries_under_the_limit_and_says_how_many_were_left_out():
    error = InputError("invalid input", [diagnostic(line) for line in range(1, 2001)])
    text = render_failure_markdown(error, limit=10_000)
    assert len(text) < 10_000
    shown = text.count(": error: ")
    assert 50 < shown < 2000
    assert f"... {2000 - shown} more not shown: the comment would pass 10,000 characters" in text
    assert text.endswith("all of them\n```\n")


def test_the_service_error_and_the_lock_holder_are_shown_with_where_and_hint():
    api = ApiError(403, "GCS.0004", "not allowed", operation="GET /v1/executions",
                   hint="check the IAM policy of the user")
    assert "**GCS could not be read.** 1 error;" in render_failure_markdown(api)
    assert ("error: GET /v1/executions: HTTP 403 GCS.0004: not allowed\n"
            "  hint: check the IAM policy of the user\n```\n") in render_failure_markdown(api)
    lock = LockHeldError("the state is locked by apply (pid 42)", where=".gcsapply/state.lock",
                         hint="wait for it to finish")
    assert "**The state cannot be used.**" in render_failure_markdown(lock)


def test_an_internal_error_names_its_type_but_never_its_text():
    text = render_failure_markdown(KeyError("token=s3cr3t"))
    assert "**gcsapply hit an internal error.**" in text
    assert "error: internal error: KeyError" in text
    assert "s3cr3t" not in text


def test_e_mail_addresses_and_phone_numbers_are_masked():
    text = render_failure_markdown(InputError("invalid", [diagnostic(1, "ops@example.org +8613800001234")]))
    assert "ops@example.org" not in text and "8613800001234" not in text


def test_a_fence_outruns_every_run_of_backticks_and_control_characters_are_escaped():
    assert fenced("a ``` b\n`````", "text") == "``````text\na ``` b\n`````\n``````\n"
    assert fenced("x\ry\u202ez") == "```\nx\\ry\\u202ez\n```\n"
