"""Saved plans: ``gcsapply plan --out FILE`` and ``gcsapply apply FILE`` (DESIGN §4).

A saved plan is the JSON plan document plus ``"saved"``: the lineage and serial of the state it
was made against, a fingerprint per non-noop change and per workflow those changes use
(``absent`` for a create), the absolute stack directory, the plan options and the target
binding. ``apply FILE`` reads it back (:func:`read_saved_plan`), re-plans with the same options
and refuses with ``stale plan`` unless the fresh plan is the saved one (:func:`compare_saved`),
so a plan applies at most once.

The JSON plan document itself is rendered by :mod:`gcsapply.render.plan_text` (plan never
imports render): ``render_saved_plan`` lives there, and the functions here that compare against
a fresh plan's document take it, or the function that renders it, as an argument.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from gcsapply.diagnostics import excerpt, quote
from gcsapply.errors import StalePlanError, UsageError
from gcsapply.plan.model import KIND_EXECUTION, Action, Change, Plan, PlanOptions
from gcsapply.plan.views import fingerprint
from gcsapply.schemas import load_schema
from gcsapply.state.shapes import loads_strict, too_deep

ABSENT = "absent"
_SAVE_HINT = "save a plan with 'gcsapply plan DIR --out FILE'"
_ADDRESS = re.compile(r"(workflow|execution)/[a-z]([a-z0-9-]*[a-z0-9])?(#[a-z]([a-z0-9-]*[a-z0-9])?)?")
MAX_PLAN_DEPTH = 100  # manifests nest at most 64 levels (yamlio); a plan adds a few


def plan_fingerprints(plan: Plan) -> dict[str, str]:
    """A fingerprint of the live object behind each non-noop change and each workflow those
    changes use (``absent`` for a create): equal fingerprints mean GCS has not moved."""
    by_address = {c.address: c for c in plan.changes}
    prints: dict[str, str] = {}
    for change in plan.actionable():
        prints[change.address] = _fingerprint(change)
        if change.kind == KIND_EXECUTION and change.desired is not None \
                and not change.desired.workflow.startswith("id:"):
            used = by_address.get(f"workflow/{change.desired.workflow}")
            if used is not None:
                prints[used.address] = _fingerprint(used)
    return dict(sorted(prints.items()))


def read_saved_plan(path: Path) -> dict:
    """The saved plan document at ``path``; anything else is refused here with a
    :class:`UsageError` naming the file and the field, not met later as a crash."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror}", hint=_SAVE_HINT) from exc
    try:
        document = loads_strict(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is neither a stack directory nor a saved plan: not UTF-8 "
                         f"text (byte {exc.start})", hint=_SAVE_HINT) from exc
    except ValueError as exc:  # json.JSONDecodeError, StrictJsonError
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise UsageError(f"{path} is neither a stack directory nor a saved plan: not JSON "
                         f"({reason})", hint=_SAVE_HINT) from exc
    if not isinstance(document, dict) or not isinstance(document.get("saved"), dict):
        raise UsageError(f"{path} is not a saved plan (no 'saved' section)", hint=_SAVE_HINT)
    problem = _document_problem(document)
    if problem is not None:
        raise UsageError(f"{path} is not a valid saved plan: at {problem}", hint=_SAVE_HINT)
    return document


def saved_stack_dir(saved_doc: dict) -> Path:
    """The stack directory the plan was made from (absolute)."""
    return Path(saved_doc["saved"]["stack_dir"])


def saved_options(saved_doc: dict) -> PlanOptions:
    """The options the plan was made with: ``apply FILE`` re-plans with exactly these."""
    return PlanOptions.from_json(saved_doc["saved"].get("options") or {})


def compare_saved(saved_doc: dict, fresh_plan: Plan, fresh_document: dict) -> list[str]:
    """Why ``fresh_plan`` is not the plan that was saved; an empty list means it is.

    ``fresh_document`` is ``fresh_plan``'s JSON plan document
    (:func:`gcsapply.render.plan_text.plan_document`): a change the manifests now plan
    differently is found by comparing it with the saved document's."""
    saved = saved_doc.get("saved") or {}
    problems = []
    if saved.get("lineage") != fresh_plan.lineage:
        problems.append(f"the state lineage is now {fresh_plan.lineage}, the plan was made "
                        f"against {excerpt(str(saved.get('lineage')), None)}")
    if saved.get("serial") != fresh_plan.serial:
        problems.append(f"the state serial is now {fresh_plan.serial}, the plan was made at "
                        f"serial {saved.get('serial')}")
    old, new = saved.get("fingerprints") or {}, plan_fingerprints(fresh_plan)
    for address in sorted(set(old) | set(new)):
        if address not in new:
            problems.append(f"{address}: no longer planned")
        elif address not in old:
            problems.append(f"{address}: a change the saved plan does not contain")
        elif old[address] != new[address]:
            problems.append(f"{address}: changed in GCS since the plan was made")
    saved_changes = {c["address"]: c for c in saved_doc.get("changes", [])
                     if c.get("action") != "noop"}
    fresh_changes = {c["address"]: c for c in fresh_document["changes"]
                     if c["action"] != "noop"}
    for address in sorted(set(saved_changes) & set(fresh_changes)):
        if saved_changes[address] != fresh_changes[address]:
            problems.append(f"{address}: the manifests now plan a different change")
    return problems


def stale_plan_check(path: Path, plan_document: Callable[[Plan], dict]
                     ) -> Callable[[dict, Plan], None]:
    """The check ``apply FILE`` runs on its fresh plan: it raises :class:`StalePlanError`
    (``stale plan: ...``) unless the fresh plan is the one saved at ``path``.
    ``plan_document`` renders a plan's JSON document (see :func:`compare_saved`)."""
    def check(saved_doc: dict, fresh_plan: Plan) -> None:
        problems = compare_saved(saved_doc, fresh_plan, plan_document(fresh_plan))
        if problems:
            raise StalePlanError(
                "stale plan: " + "; ".join(problems), where=str(path),
                hint="a saved plan applies at most once and only to the state it was made "
                     "against; run 'gcsapply plan --out' again")
    return check


def _document_problem(document: dict) -> str | None:
    """``<field path>: <what is wrong>`` for the first problem of a saved plan, or None."""
    if too_deep(document, MAX_PLAN_DEPTH):
        return f"(top): nested more than {MAX_PLAN_DEPTH} levels deep"
    try:
        problem = best_match(Draft202012Validator(load_schema("plan")).iter_errors(document))
    except RecursionError:
        return f"(top): nested more than {MAX_PLAN_DEPTH} levels deep"
    if problem is not None:
        where = "/".join(excerpt(part) for part in problem.absolute_path) or "(top)"
        return f"{where}: {excerpt(problem.message, 200)}"
    stack_dir = document["saved"]["stack_dir"]
    if "\x00" in stack_dir or not Path(stack_dir).is_absolute():
        return f"saved/stack_dir: {quote(stack_dir)} is not an absolute path"
    for address in document["saved"]["fingerprints"]:
        if not _ADDRESS.fullmatch(address):
            return f"saved/fingerprints: {quote(address)} is not an address"
    return None


def _fingerprint(change: Change) -> str:
    if change.action is Action.CREATE and change.before is None:
        return ABSENT
    return fingerprint({"gcs_id": change.gcs_id, "before": change.before})
