"""``--markdown``: a plan for a pull request (DESIGN §4).

The summary table comes first, then launches and deletes called out, then one ``<details>``
per change, destructive ones first. The document stays under 60,000 characters (GitHub's
comment limit is 65,536): it is cut on entry boundaries and says how many were left out.
E-mail addresses and phone numbers are masked.

A plan that fails is explained too (:func:`render_failure_markdown`), so a CI job posting
``plan --markdown`` never posts an empty comment.

Manifests and the service's answers are hostile: what they say reaches a comment only inside
HTML-escaped ``<code>`` in an HTML block, or inside a fenced code block (:func:`fenced`) whose
fence is longer than any run of backticks in it and whose lines have every non-printable
character escaped (no ``\\r`` can end a line early). Neither renders links, images, HTML or
@-mentions, and nothing inside can close them.
"""

from __future__ import annotations

import html
import re

from gcsapply.diagnostics import excerpt, sort_diagnostics
from gcsapply.errors import (
    ClientError,
    ConfigError,
    GcsapplyError,
    InputError,
    PlanRefusedError,
    StateError,
    TemplateError,
    UsageError,
)
from gcsapply.plan.model import ACTION_ORDER, KIND_EXECUTION, Action, Change, Plan
from gcsapply.render.plan_text import change_lines, mask, render_cost, render_summary_line

LIMIT = 60_000
# Destructive first: what a reviewer must not miss.
DISPLAY_ORDER = (Action.DELETE, Action.REPLACE, Action.CANCEL, Action.FORGET, Action.RETRY,
                 Action.UPDATE, Action.CREATE)
# What failed, by the error's class (the first match wins: subclasses before their bases).
FAILURE_HEADLINES = (
    (InputError, "The manifests, templates or sample sheets are invalid."),
    (TemplateError, "A workflow template cannot be expanded with these inputs."),
    (ConfigError, "The stack's endpoint, region, project or credentials are not usable."),
    (StateError, "The state cannot be used."),
    (PlanRefusedError, "The plan was refused by a guardrail."),
    (ClientError, "GCS could not be read."),
    (UsageError, "The command line is wrong."),
    (GcsapplyError, "The plan could not be made."),
)
_BACKTICKS = re.compile(r"`+")


def render_markdown(plan: Plan, *, limit: int = LIMIT) -> str:
    head = _head(plan)
    tail = _tail(plan, limit // 3)
    entries = [_entry(c) for c in sorted(plan.actionable(), key=_display_key)]
    body: list[str] = []
    size = len(head) + len(tail)
    for index, entry in enumerate(entries):
        remaining = len(entries) - index
        note = _cut_note(remaining, limit)
        if size + len(entry) + len(note) > limit:
            body.append(note)
            break
        body.append(entry)
        size += len(entry)
    return mask(head + "".join(body) + tail)


def render_failure_markdown(error: BaseException, *, limit: int = LIMIT) -> str:
    """Why ``plan --markdown`` failed: every error (for bad input, every diagnostic, with its
    file:line, field and hint) in one fenced block, cut on error boundaries under ``limit``.

    An error that is not a :class:`GcsapplyError` is a bug: only its type is named, as its
    text was never meant for a pull request (the job's log has it)."""
    headline, count, problems = _failure(error)
    head = f"### gcsapply plan failed\n\n**{headline}** {count}; nothing in GCS was changed.\n\n"
    kept, size = [], len(head) + 200  # room for the fences and the note
    for index, problem in enumerate(problems):
        if size + len(problem) + 1 > limit:
            kept.append(f"... {len(problems) - index} more not shown: the comment would pass "
                        f"{limit:,} characters; run 'gcsapply validate' or 'gcsapply plan' for "
                        "all of them")
            break
        kept.append(problem)
        size += len(problem) + 1
    return mask(head + fenced("\n".join(kept), "text"))


def fenced(body: str, info: str = "") -> str:
    """``body`` as a fenced code block that nothing in it can close: every line printable
    (control characters escaped) and the fence longer than any run of backticks inside."""
    body = "\n".join(excerpt(line, None) for line in body.split("\n"))
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}\n"


def _failure(error: BaseException) -> tuple[str, str, list[str]]:
    """The headline, the count of errors and warnings, and each problem as the terminal shows it."""
    if not isinstance(error, GcsapplyError):
        return ("gcsapply hit an internal error.", "1 error",
                [f"error: internal error: {type(error).__name__}\n"
                 "  hint: the job's log has the details; rerun with --debug and report the "
                 "traceback"])
    headline = next(text for cls, text in FAILURE_HEADLINES if isinstance(error, cls))
    diagnostics = sort_diagnostics(getattr(error, "diagnostics", ()))
    problems = [d.render() for d in diagnostics]
    if not diagnostics or error.hint:
        problems.append(error.render())
    errors = sum(d.is_error for d in diagnostics) or 1
    warnings = len(diagnostics) - sum(d.is_error for d in diagnostics)
    count = _plural(errors, "error") + (f", {_plural(warnings, 'warning')}" if warnings else "")
    return headline, count, problems


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _head(plan: Plan) -> str:
    counts = plan.summary()
    lines = [f"### gcsapply plan: `{plan.stack_name}`", "",
             "| action | count |", "|---|---:|"]
    lines += [f"| {a} | {counts[a]} |" for a in ACTION_ORDER]
    lines += ["", f"**{render_summary_line(plan)}** {render_cost(plan)}", ""]
    launches = [c for c in plan.actionable()
                if c.kind == KIND_EXECUTION and c.action in (Action.CREATE, Action.RETRY)]
    deletes = [c for c in plan.actionable() if c.action in (Action.DELETE, Action.REPLACE)]
    if launches:
        lines.append(f"**Launches ({len(launches)}):** " + _names(launches))
    if deletes:
        lines.append(f"**Deletes ({len(deletes)}):** " + _names(deletes))
    if launches or deletes:
        lines.append("")
    return "\n".join(lines) + "\n"


def _tail(plan: Plan, budget: int) -> str:
    """Drift, warnings and the noop count, within ``budget`` characters (half each list)."""
    lines = []
    if plan.drift:
        lines += ["", "#### Drift (changed outside gcsapply)", ""]
        lines += _bounded([f"- `{d.address}`: **{d.observation}**: {d.detail}"
                           for d in plan.drift], budget // 2, "drift entries")
    if plan.warnings:
        lines += ["", "#### Warnings", ""]
        lines += _bounded([f"- `{w.address}`: **{w.code}**: {w.message}"
                           for w in plan.warnings], budget // 2, "warnings")
    noops = len(plan.changes) - len(plan.actionable())
    if noops:
        lines += ["", f"{noops} unchanged."]
    return "\n".join(lines) + ("\n" if lines else "")


def _bounded(items: list[str], budget: int, what: str) -> list[str]:
    kept, size = [], 0
    for index, item in enumerate(items):
        if size + len(item) + 1 > budget:
            return kept + [f"- _{len(items) - index} more {what} not shown; run `gcsapply "
                           "plan` for all of them._"]
        kept.append(item)
        size += len(item) + 1
    return kept


def _entry(change: Change) -> str:
    reason = f" ({change.reason})" if change.reason is not None else ""
    body = "\n".join(change_lines(change))
    return (f"<details><summary><b>{change.action}</b> <code>{html.escape(change.address)}"
            f"</code>{reason}</summary>\n\n{fenced(body, 'diff')}\n</details>\n")


def _names(changes: list[Change], shown: int = 20) -> str:
    names = ", ".join(f"`{c.address}`" for c in changes[:shown])
    if len(changes) > shown:
        names += f" and {len(changes) - shown} more"
    return names


def _cut_note(remaining: int, limit: int) -> str:
    return (f"\n_{remaining} more change{'s' if remaining != 1 else ''} not shown: the "
            f"comment would pass {limit:,} characters; run `gcsapply plan` for the full "
            "plan._\n")


def _display_key(change: Change):
    return (DISPLAY_ORDER.index(change.action), change.kind, change.address)
