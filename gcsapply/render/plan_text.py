"""Render a :class:`~gcsapply.plan.build.Plan` as text, JSON or a saved plan (DESIGN §4).

Every format is built from the same Plan, and none prints: each function returns a string.
Markdown lives in :mod:`gcsapply.render.markdown`. Text and Markdown mask e-mail addresses and
phone numbers; JSON keeps values as they are (it is for machines and holds no secrets).

A saved plan (``--out``) is the JSON plan plus ``"saved"``: the lineage and serial of the
state it was made against, a fingerprint per non-noop change and per workflow those changes
use (``absent`` for a create), the stack directory relative to where ``plan`` ran, the digest
of every file read and the options, so ``apply FILE`` can re-plan and refuse with ``stale
plan`` unless everything still matches (:mod:`gcsapply.plan.saved` fingerprints, reads and
compares saved plans; :mod:`gcsapply.plan.reviewed` compares a reviewed plan's changes). It
holds no absolute path.
"""

from __future__ import annotations

import json
import os
import re
from json.encoder import encode_basestring

from gcsapply.plan.diff import flatten
from gcsapply.plan.model import ACTION_ORDER, Action, Change, Plan, PlanOptions
from gcsapply.plan.saved import is_stack_file, plan_fingerprints

FORMAT_VERSION = "1.0"

SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.RETRY: ">",
           Action.CANCEL: "x", Action.DELETE: "-", Action.FORGET: "=", Action.NOOP: " "}
VERBS = {Action.CREATE: "will be created", Action.UPDATE: "will be updated in place",
         Action.REPLACE: "will be replaced", Action.RETRY: "will be retried",
         Action.CANCEL: "will be cancelled", Action.DELETE: "will be deleted",
         Action.FORGET: "will be forgotten (left in GCS, removed from state)"}
COLOURS = {Action.CREATE: "32", Action.UPDATE: "33", Action.REPLACE: "35", Action.RETRY: "36",
           Action.CANCEL: "33", Action.DELETE: "31", Action.FORGET: "34"}
# Fields of a create that say nothing worth reading (their defaults are shown by omission).
_QUIET = ("prevent_destroy", "desired_state", "versioning")

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(r"(?<![\w.-])\+?\d(?:[ -]?\d){6,14}(?![\w.-])")


# ---- text -------------------------------------------------------------------------------

def render_text(plan: Plan, *, colour: bool = False) -> str:
    lines = []
    if plan.target_line:
        lines += [plan.target_line, ""]
    actionable = plan.actionable()
    if actionable:
        present = [a for a in ACTION_ORDER if a is not Action.NOOP
                   and any(c.action is a for c in actionable)]
        lines.append("Actions: " + "  ".join(f"{SYMBOLS[a]} {a}" for a in present))
    lines.append(render_cost(plan))
    for change in actionable:
        lines.append("")
        lines += _text_block(change, colour)
    if plan.drift:
        lines += ["", "Drift (changed outside gcsapply):"]
        lines += [f"  {d.address}: {d.observation}: {d.detail}" for d in plan.drift]
    if plan.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  {w.address}: {w.code}: {w.message}" for w in plan.warnings]
    noops = len(plan.changes) - len(actionable)
    lines += ["", f"{noops} unchanged."] if noops else [""]
    lines.append(render_summary_line(plan))
    return mask("\n".join(lines)) + "\n"


def render_summary_line(plan: Plan) -> str:
    if not plan.has_changes():
        return "No changes."
    counts = plan.summary()
    return "Plan: " + ", ".join(f"{counts[a]} to {a}" for a in ACTION_ORDER
                                if a is not Action.NOOP) + "."


def render_cost(plan: Plan) -> str:
    cost = plan.cost
    if not cost.launches:
        head = "Cost: no runs to launch"
    else:
        at_least = "≥ " if cost.lower_bound else ""
        head = (f"Cost: {cost.launches} run{'s' if cost.launches != 1 else ''} to launch, "
                f"{at_least}{cost.jobs} jobs, {at_least}{_number(cost.vcpu)} vCPU, "
                f"{at_least}{_number(cost.memory_gb)} GB memory requested")
    return head + _removals(plan) + "."


def _removals(plan: Plan) -> str:
    """``; 1 to delete, 1 to replace (...)``, counted as the summary line counts them: a
    replace deletes, then creates, and ``limits.maxDeletesPerApply`` counts it as a delete."""
    counts = plan.summary()
    parts = [f"{counts[action]} to {action}" for action in (Action.DELETE, Action.REPLACE)
             if counts[action]]
    if not parts:
        return ""
    if counts[Action.REPLACE]:
        parts[-1] += " (a replace deletes, then creates)"
    return "; " + ", ".join(parts)


def _text_block(change: Change, colour: bool) -> list[str]:
    header = f"# {change.address} {VERBS[change.action]}"
    if colour:
        header = f"\x1b[{COLOURS[change.action]}m{header}\x1b[0m"
    lines = [header]
    if change.reason is not None:
        lines.append(f"  reason: {change.reason}")
    lines += ["  " + line for line in change_lines(change)]
    return lines


def change_lines(change: Change) -> list[str]:
    """The body of one change: ``path: old -> new`` rows, or what is created or removed."""
    symbol = SYMBOLS[change.action]
    if change.diff:
        return [f"{symbol} {d.path}: {value_text(d.before)} -> {value_text(d.after)}"
                for d in change.diff]
    if change.action is Action.CREATE:
        return [f"+ {path}: {value_text(value)}" for path, value in flatten(change.after)
                if not _quiet(path, value)]
    status = (change.before or {}).get("status")
    what = f"{change.gcs_name or '?'} ({change.gcs_id or 'no id'})"
    return [f"{symbol} {what}" + (f", status {status}" if status else "")]


def value_text(value) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def mask(text: str) -> str:
    """Mask e-mail addresses (``o***@example.org``) and phone numbers (last 4 digits kept)."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(_mask_phone, text)


def _mask_phone(match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    if digits < 8:
        return match.group(0)
    out, seen = [], 0
    for ch in match.group(0):
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - 4 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _quiet(path: str, value) -> bool:
    return path in _QUIET or value in (None, "", {}, []) or path.startswith("labels.gcsapply-")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ---- JSON -------------------------------------------------------------------------------

def plan_document(plan: Plan) -> dict:
    """The ``--json`` document (``schemas/plan.schema.json``); no timestamps."""
    counts = plan.summary()
    return {
        "format_version": FORMAT_VERSION,
        "stack": {"name": plan.stack_name, "lineage": plan.lineage, "serial": plan.serial},
        "summary": {str(a): counts[a] for a in ACTION_ORDER},
        "changes": [_change_document(c) for c in plan.changes],
        "drift": [{"address": d.address, "observation": d.observation, "detail": d.detail}
                  for d in plan.drift],
        "warnings": [{"address": w.address, "code": w.code, "message": w.message}
                     for w in plan.warnings],
    }


def render_json(plan: Plan) -> str:
    return _dump(plan_document(plan))


def _change_document(change: Change) -> dict:
    return {"address": change.address, "kind": change.kind, "name": change.name,
            "gcs_name": change.gcs_name, "gcs_id": change.gcs_id, "action": str(change.action),
            "reason": str(change.reason) if change.reason is not None else None,
            "before": change.before, "after": change.after,
            "diff": [{"path": d.path, "before": d.before, "after": d.after}
                     for d in change.diff]}


# Values are written with sorted keys (canonical); the fields of a change keep their order.
_PLAIN = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), sort_keys=True)


def _dump(document: dict) -> str:
    """Top-level keys one per line; each change, drift and warning on a line of its own.

    Readable and diff-friendly, and fast: every entry goes through the C JSON encoder (an
    ``indent`` would force the pure-Python one: seconds for 10,000 runs).
    """
    lines = ["{"]
    keys = list(document)
    for index, key in enumerate(keys):
        value = document[key]
        comma = "," if index < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            encode = _entry_text if key == "changes" else _PLAIN.encode
            items = [encode(item) for item in value]
            lines.append(f"  {_PLAIN.encode(key)}: [")
            lines += [f"    {item}," for item in items[:-1]] + [f"    {items[-1]}"]
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {_PLAIN.encode(key)}: {_PLAIN.encode(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _entry_text(c: dict) -> str:
    """One change on one line: its fields in order, its values canonical (sorted keys).

    Written out field by field: this runs once per run (10,000 times for a large stack)."""
    return ('{"address": ' + _text(c["address"]) + ', "kind": ' + _text(c["kind"])
            + ', "name": ' + _text(c["name"]) + ', "gcs_name": ' + _text(c["gcs_name"])
            + ', "gcs_id": ' + _text(c["gcs_id"]) + ', "action": ' + _text(c["action"])
            + ', "reason": ' + _text(c["reason"]) + ', "before": ' + _value(c["before"])
            + ', "after": ' + _value(c["after"]) + ', "diff": '
            + ("[]" if not c["diff"] else _CANONICAL.encode(c["diff"])) + "}")


def _text(value) -> str:
    return "null" if value is None else encode_basestring(value)


def _value(value) -> str:
    return "null" if value is None else _CANONICAL.encode(value)


# ---- saved plans ------------------------------------------------------------------------

def render_saved_plan(plan: Plan, *, stack_dir: str, files: dict[str, str],
                      options: PlanOptions, binding: dict | None = None) -> str:
    """The ``--out`` file: the JSON plan plus what ``apply FILE`` needs to check and re-plan
    (:mod:`gcsapply.plan.saved` reads and checks it). ``stack_dir`` is relative to the
    current directory (:func:`gcsapply.plan.saved.relative_stack_dir`), ``files`` the
    ``LoadedStack.files`` of the load the plan was made from; an absolute path in either is a
    bug, refused here."""
    bad = [name for name in files if not is_stack_file(name)]
    if os.path.isabs(stack_dir) or bad:
        raise ValueError(f"a saved plan holds no absolute path: {stack_dir!r} {bad[:1]!r}")
    document = plan_document(plan)
    document["saved"] = {"lineage": plan.lineage, "serial": plan.serial,
                         "fingerprints": plan_fingerprints(plan), "stack_dir": stack_dir,
                         "files": dict(sorted(files.items())), "options": options.to_json(),
                         "binding": binding}
    return _dump(document)
