"""Text of apply: one line per finished change as it happens, and the closing summary.

The summary lists every success, every failure with the service's ``error_code`` and message,
every skip with its reason, and what an interrupt left unstarted. Functions return strings;
commands print them.
"""

from __future__ import annotations

from collections.abc import Sequence

from gcsapply.engine.waves import FAILED, NOT_STARTED, SKIPPED, SUCCEEDED, WAVES, Outcome

_PAST = {"create": "created", "update": "updated", "replace": "replaced", "retry": "retried",
         "cancel": "cancelled", "delete": "deleted", "forget": "forgotten", "noop": "unchanged"}
_SECTIONS = ((SUCCEEDED, "Succeeded"), (FAILED, "Failed"), (SKIPPED, "Skipped"),
             (NOT_STARTED, "Not started"))


def render_outcome_line(outcome: Outcome) -> str:
    """``execution/na12878: create succeeded: launched [id=...]`` and the like."""
    return f"{outcome.address}: {outcome.action} {outcome.result}: {_detail(outcome)}"


def render_summary(outcomes: Sequence[Outcome], *, interrupted: bool = False,
                   verb: str = "Apply") -> str:
    counts = {result: sum(1 for o in outcomes if o.result == result) for result, _ in _SECTIONS}
    if counts[FAILED]:
        head = f"{verb} finished with errors"
    elif interrupted or counts[NOT_STARTED]:
        head = f"{verb} interrupted"
    else:
        head = f"{verb} complete"
    line = (f"{head}: {counts[SUCCEEDED]} succeeded, {counts[FAILED]} failed, "
            f"{counts[SKIPPED]} skipped")
    if counts[NOT_STARTED]:
        line += f", {counts[NOT_STARTED]} not started"
    lines = [line + "."]
    width = max((len(o.address) for o in outcomes), default=0)
    ordered = sorted(outcomes, key=lambda o: (_wave_rank(o), o.address))
    for result, title in _SECTIONS:
        members = [o for o in ordered if o.result == result]
        if not members:
            continue
        lines.append(f"{title}:")
        lines.extend(f"  {o.address:<{width}}  {o.action:<7} {_detail(o)}" for o in members)
    return "\n".join(lines) + "\n"


def render_counts(outcomes: Sequence[Outcome]) -> str:
    """``Resources: 2 created, 1 retried, 1 deleted.`` — what succeeded, per action."""
    done: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.ok:
            done[outcome.action] = done.get(outcome.action, 0) + 1
    if not done:
        return "Resources: nothing changed."
    parts = [f"{count} {_PAST.get(action, action)}" for action, count in done.items()]
    return "Resources: " + ", ".join(parts) + "."


def _wave_rank(outcome: Outcome) -> int:
    """List outcomes in the order their waves ran: workflow creates first, deletes last."""
    kind = outcome.address.split("/", 1)[0]
    for index, (wave_kind, actions) in enumerate(WAVES):
        if kind == wave_kind and outcome.action in actions:
            return index
    return len(WAVES)


def _detail(outcome: Outcome) -> str:
    text = outcome.message.removeprefix("skipped: ").removeprefix("not started: ")
    if outcome.result == FAILED and outcome.error_code:
        text = f"{outcome.error_code}: {text}"
    if outcome.result == SUCCEEDED and outcome.gcs_id:
        text = f"{text} [id={outcome.gcs_id}]"
    return text
