"""``--markdown``: a plan for a pull request (DESIGN §4).

The summary table comes first, then launches and deletes called out, then one ``<details>``
per change, destructive ones first. The document stays under 60,000 characters (GitHub's
comment limit is 65,536): it is cut on entry boundaries and says how many were left out.
E-mail addresses and phone numbers are masked.
"""

from __future__ import annotations

import html

from gcsapply.plan.model import ACTION_ORDER, KIND_EXECUTION, Action, Change, Plan
from gcsapply.render.plan_text import change_lines, mask, render_cost, render_summary_line

LIMIT = 60_000
# Destructive first: what a reviewer must not miss.
DISPLAY_ORDER = (Action.DELETE, Action.REPLACE, Action.CANCEL, Action.FORGET, Action.RETRY,
                 Action.UPDATE, Action.CREATE)


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
            f"</code>{reason}</summary>\n\n```diff\n{body}\n```\n\n</details>\n")


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
