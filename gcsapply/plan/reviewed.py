"""``apply --reviewed PLAN DIR``: apply a reviewed plan to a copy of its stack (DESIGN §4).

A plan saved with ``plan --out`` is reviewed (in a pull request, say) and applied later, from
another checkout or CI runner, often after other changes were applied: ``apply PLAN`` would
refuse it as stale (the state's serial moved). ``apply --reviewed PLAN DIR`` re-plans DIR now,
with the options saved in PLAN, and applies only when the plan made now makes *the same
changes* as the reviewed one, or a part of them (:func:`compare_reviewed`):

- every address the plan made now changes (other than ``noop``) is changed by the reviewed
  plan; a reviewed change that is no longer planned is in effect already (an earlier run of
  the same CI job applied it before it timed out or was cancelled), so a re-run of the job
  applies what is left, or nothing, and ``--wait`` waits again; nothing is done that was not
  reviewed;
- for each of them, the same ``action``, the same GCS object acted on (``gcs_name``, and
  ``gcs_id``: the existing object, null for a create) and the same ``after`` value: the result
  the change produces.

Not compared, because they do not describe the result: ``reason`` (display only), ``before``
and ``diff`` (the live object the change starts from, which may move without changing the
result: a run's status, a priority someone edited by hand), the state's lineage and serial,
the live fingerprints, drift and warnings. The target binding is still checked, by the engine,
as for every saved plan.

Otherwise :class:`~gcsapply.errors.PlanChangedError` lists what differs, per address (only in
the current plan and not in the reviewed one, ``action differs: create -> update``, ``path:
reviewed -> now`` for each ``after`` value that differs; at most :data:`MAX_LISTED`, then
``and N more``), and, as explanation only, which of the files read differ by digest (a file may
differ while the changes stay the same: that is accepted). Values come from manifests and are
quoted through :mod:`gcsapply.diagnostics`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

from gcsapply.diagnostics import excerpt, excerpt_list, quote
from gcsapply.errors import GcsapplyError, PlanChangedError
from gcsapply.plan.diff import flatten
from gcsapply.plan.model import Plan
from gcsapply.plan.saved import relative_stack_dir

COMPARED = ("action", "gcs_name", "gcs_id", "after")  # what a change's result is
MAX_LISTED = 20  # differences named before "and N more"
MAX_FILES = 5  # files named per kind of difference
_VALUE_LIMIT = 60  # characters of a value quoted


def compare_reviewed(reviewed_doc: dict, fresh_document: dict) -> list[str]:
    """What differs between the changes of the reviewed plan and those of the plan made now
    (``fresh_document``, :func:`gcsapply.render.plan_text.plan_document`), one line each,
    addresses sorted; an empty list means the same changes."""
    reviewed = _actionable(reviewed_doc.get("changes") or [])
    fresh = _actionable(fresh_document["changes"])
    lines = []
    for address in sorted(fresh):  # a reviewed change no longer planned is in effect already
        shown = excerpt(address, 120)
        if address not in reviewed:
            lines.append(f"{shown}: only in the current plan ({fresh[address]['action']})")
        else:
            lines += [f"{shown}: {line}" for line in _change_differences(reviewed[address],
                                                                          fresh[address])]
    return lines


def files_differences(reviewed: dict[str, str], now: dict[str, str]) -> str | None:
    """``changed a.yaml; added b.csv; removed c.yaml``: the files read that differ by digest
    between the review and now, or None when none does."""
    parts = []
    for what, names in (("changed", [n for n in reviewed if n in now and reviewed[n] != now[n]]),
                        ("added", [n for n in now if n not in reviewed]),
                        ("removed", [n for n in reviewed if n not in now])):
        if names:
            parts.append(f"{what} {excerpt_list(sorted(names), most=MAX_FILES, limit=80)}")
    return "; ".join(parts) or None


def reviewed_plan_check(path: Path, root: Path, plan_document: Callable[[Plan], dict],
                        files_now: Callable[[], dict[str, str]]) -> Callable[[dict, Plan], None]:
    """The check ``apply --reviewed PATH ROOT`` runs on the plan made now: it raises
    :class:`PlanChangedError` unless that plan makes the reviewed changes. ``plan_document``
    renders a plan's JSON document; ``files_now`` lists the files DIR's manifests read now with
    their digests, asked only when the plans differ (to explain why)."""
    def check(reviewed_doc: dict, fresh_plan: Plan) -> None:
        differences = compare_reviewed(reviewed_doc, plan_document(fresh_plan))
        if not differences:
            return
        listed = differences[:MAX_LISTED]
        if len(differences) > MAX_LISTED:
            listed.append(f"and {len(differences) - MAX_LISTED} more")
        files = _files_line((reviewed_doc.get("saved") or {}).get("files") or {}, files_now)
        if files:
            listed.append(files)
        plural = "s" if len(differences) != 1 else ""
        quoted_root = shlex.quote(relative_stack_dir(root))
        raise PlanChangedError(
            f"the plan made now does not make the reviewed changes ({len(differences)} "
            f"difference{plural}); nothing was applied:\n" + "\n".join(f"    {line}" for line in listed),
            where=str(path),
            hint="review the current plan: 'gcsapply plan "
                 f"{quoted_root} --out FILE', then 'gcsapply apply --reviewed FILE {quoted_root}'")
    return check


def as_applied_to(saved_doc: dict, root: Path) -> dict:
    """The reviewed plan with ``stack_dir`` naming ``root`` (relative to the current directory),
    so the hints of refusals (another target, a stale plan) name the directory it is applied
    to."""
    return dict(saved_doc, saved=dict(saved_doc["saved"], stack_dir=relative_stack_dir(root)))


def _actionable(changes: list) -> dict[str, dict]:
    return {c["address"]: c for c in changes if c.get("action") != "noop"}


def _change_differences(reviewed: dict, fresh: dict) -> list[str]:
    lines = []
    if reviewed["action"] != fresh["action"]:
        lines.append(f"action differs: {reviewed['action']} -> {fresh['action']}")
    if reviewed["gcs_id"] != fresh["gcs_id"] or (  # a name the after-values do not show
            reviewed["gcs_name"] != fresh["gcs_name"] and "gcs_name" not in (fresh["after"] or {})):
        lines.append(f"acts on another GCS object: {_object(reviewed)} -> {_object(fresh)}")
    if reviewed["after"] != fresh["after"]:
        old, new = dict(flatten(reviewed["after"])), dict(flatten(fresh["after"]))
        for path in sorted(set(old) | set(new)):
            if path not in old or path not in new or old[path] != new[path]:
                lines.append(f"{excerpt(path, 80)}: {_value(old.get(path))} -> "
                             f"{_value(new.get(path))}")
    return lines


def _object(change: dict) -> str:
    name = quote(change["gcs_name"], 80) if change["gcs_name"] is not None else "(no name)"
    return f"{name} ({excerpt(change['gcs_id'], 80) if change['gcs_id'] else 'no id'})"


def _value(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return quote(value, _VALUE_LIMIT)
    return excerpt(json.dumps(value, ensure_ascii=False, sort_keys=True), _VALUE_LIMIT)


def _files_line(reviewed: dict, files_now: Callable[[], dict[str, str]]) -> str | None:
    try:
        now = files_now()
    except GcsapplyError:  # the manifests changed again since this apply read them
        return None
    differences = files_differences(reviewed, now)
    return f"files read that differ: {differences}" if differences else None
