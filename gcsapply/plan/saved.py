"""Saved plans: ``gcsapply plan --out FILE`` and ``gcsapply apply FILE`` (DESIGN §4).

A saved plan is the JSON plan document plus ``"saved"``: the lineage and serial of the state it
was made against, a fingerprint per non-noop change and per workflow those changes use
(``absent`` for a create), the stack directory relative to the directory ``plan`` ran in, the
digest of every manifest, template and sample sheet read (``files``, paths relative to the
stack directory), the plan options and the target binding. It holds no absolute path, so it can
be carried to another checkout or CI runner. ``apply FILE`` reads it back
(:func:`read_saved_plan`), finds the stack directory relative to the current directory
(:func:`saved_stack_dir`), re-plans with the same options and refuses with ``stale plan``
unless the fresh plan is the saved one (:func:`compare_saved`), so a plan applies at most once.
``apply --reviewed FILE DIR`` compares only the changes (:mod:`gcsapply.plan.reviewed`).

The JSON plan document itself is rendered by :mod:`gcsapply.render.plan_text` (plan never
imports render): ``render_saved_plan`` lives there, and the functions here that compare against
a fresh plan's document take it, or the function that renders it, as an argument.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from gcsapply.diagnostics import excerpt, excerpt_list, quote
from gcsapply.errors import StalePlanError, UsageError
from gcsapply.manifest.paths import path_problem
from gcsapply.plan.model import KIND_EXECUTION, Action, Change, Plan, PlanOptions
from gcsapply.plan.views import fingerprint
from gcsapply.schemas import load_schema
from gcsapply.state.shapes import loads_strict, too_deep

ABSENT = "absent"
_ADDRESS = re.compile(r"(workflow|execution)/[a-z]([a-z0-9-]*[a-z0-9])?(#[a-z]([a-z0-9-]*[a-z0-9])?)?")
MAX_PLAN_DEPTH = 100  # manifests nest at most 64 levels (yamlio); a plan adds a few
MAX_LISTED = 10  # problems a stale-plan error names before "and N more"


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
    hint = _not_a_plan_hint(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror}", hint=hint) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a saved plan: not UTF-8 text (byte {exc.start})",
                         hint=hint) from exc
    try:
        document = loads_strict(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not a saved plan: {_why_not_json(path, text, exc)}",
                         hint=hint) from exc
    except ValueError as exc:  # StrictJsonError: NaN, 1e999, nesting too deep
        raise UsageError(f"{path} is not a saved plan: not JSON ({exc})", hint=hint) from exc
    if not isinstance(document, dict) or not isinstance(document.get("saved"), dict):
        raise UsageError(f"{path} is not a saved plan (no 'saved' section)", hint=hint)
    problem = _document_problem(document)
    if problem is not None:
        raise UsageError(f"{path} is not a valid saved plan: at {problem}", hint=hint)
    return document


def relative_stack_dir(root: Path) -> str:
    """``root`` as reached from the current directory, forward slashes: a saved plan's
    ``stack_dir``."""
    return Path(os.path.relpath(root)).as_posix()


def is_stack_file(name: str) -> bool:
    """``name`` is a relative path with forward slashes that stays inside the stack."""
    parts = name.split("/")
    return "\x00" not in name and not os.path.isabs(name) \
        and all(part not in ("", ".", "..") for part in parts)


def saved_stack_dir(saved_doc: dict, path: Path) -> Path:
    """The stack directory of the plan saved at ``path``: its ``stack_dir``, relative to the
    current directory. Refused with a :class:`UsageError` unless that is a directory holding
    files the plan read: the plan is then applied from elsewhere, and ``apply --reviewed FILE
    DIR`` names the copy of the stack to apply it to."""
    saved = saved_doc["saved"]
    stack_dir = Path(saved["stack_dir"])
    problem = path_problem(stack_dir, directory=True)
    if problem is None and saved["files"] and \
            not any(os.path.isfile(stack_dir / name) for name in saved["files"]):
        problem = (f"holds none of the {len(saved['files'])} files the plan read "
                   f"({excerpt_list(saved['files'], most=3)})")
    if problem is None:
        return stack_dir
    raise UsageError(
        f"not a stack directory: the plan's stack directory {quote(saved['stack_dir'])} "
        f"(from the current directory: {excerpt(os.path.abspath(stack_dir), 300)}) {problem}",
        where=str(path),
        hint="a saved plan names its stack directory relative to where 'gcsapply plan' ran: "
             "apply it from there, or name a copy of the stack with "
             f"'gcsapply apply --reviewed {shlex.quote(str(path))} DIR'")


def saved_options(saved_doc: dict) -> PlanOptions:
    """The options the plan was made with: ``apply FILE`` re-plans with exactly these."""
    return PlanOptions.from_json(saved_doc["saved"].get("options") or {})


def compare_saved(saved_doc: dict, fresh_plan: Plan, fresh_document: dict) -> list[str]:
    """Why ``fresh_plan`` is not the plan that was saved; an empty list means it is.

    ``fresh_document`` is ``fresh_plan``'s JSON plan document
    (:func:`gcsapply.render.plan_text.plan_document`): a change the manifests now plan
    differently is found by comparing it with the saved document's. Each address that changed
    is named once, with the first of: no longer planned, changed in GCS, a new change, planned
    differently. A workflow fingerprinted only because the changes use it is named only when
    it changed in GCS; when none of the saved changes is planned any more (the plan, or the
    same changes, were applied), that is said once rather than address by address."""
    saved = saved_doc.get("saved") or {}
    problems = _state_problems(saved, fresh_plan)
    old, new = saved.get("fingerprints") or {}, plan_fingerprints(fresh_plan)
    saved_changes = {c["address"]: c for c in saved_doc.get("changes", [])
                     if c.get("action") != "noop"}
    fresh_changes = {c["address"]: c for c in fresh_document["changes"]
                     if c["action"] != "noop"}
    gone = sorted(set(saved_changes) - set(fresh_changes))
    if gone and len(gone) == len(saved_changes) and len(gone) > 1:
        problems.append(f"none of its {len(gone)} changes is planned any more "
                        "(it was applied, or the same changes were)")
        gone_said = set(gone)
    else:
        gone_said = set()
    for address in sorted(set(old) | set(new) | set(saved_changes) | set(fresh_changes)):
        if address in gone_said:
            continue
        problem = _address_problem(address, old, new, saved_changes, fresh_changes)
        if problem is not None:
            problems.append(f"{address}: {problem}")
    return problems


def stale_plan_check(path: Path, plan_document: Callable[[Plan], dict]
                     ) -> Callable[[dict, Plan], None]:
    """The check ``apply FILE`` runs on its fresh plan: it raises :class:`StalePlanError`
    (``stale plan: ...``, at most :data:`MAX_LISTED` problems named) unless the fresh plan is
    the one saved at ``path``. ``plan_document`` renders a plan's JSON document (see
    :func:`compare_saved`)."""
    def check(saved_doc: dict, fresh_plan: Plan) -> None:
        problems = compare_saved(saved_doc, fresh_plan, plan_document(fresh_plan))
        if not problems:
            return
        listed = problems[:MAX_LISTED]
        if len(problems) > MAX_LISTED:
            listed.append(f"and {len(problems) - MAX_LISTED} more")
        raise StalePlanError(
            "stale plan: " + "; ".join(listed), where=str(path),
            hint="a saved plan applies at most once and only to the state it was made "
                 f"against; run {replan_command(saved_doc, path)} again")
    return check


def replan_command(saved_doc: dict, path: Path) -> str:
    """``'gcsapply plan <the stack directory> --out <path>'``, quoted for a shell."""
    stack_dir = str((saved_doc.get("saved") or {}).get("stack_dir") or ".")
    return f"'gcsapply plan {shlex.quote(stack_dir)} --out {shlex.quote(str(path))}'"


def _state_problems(saved: dict, fresh_plan: Plan) -> list[str]:
    problems = []
    if saved.get("lineage") != fresh_plan.lineage:
        made = "before the stack's first apply" if saved.get("lineage") is None else \
            f"against {excerpt(str(saved.get('lineage')), None)}"
        now = fresh_plan.lineage if fresh_plan.lineage is not None else "none (no state)"
        problems.append(f"the state lineage is now {now}, the plan was made {made}")
    if saved.get("serial") != fresh_plan.serial:
        problems.append(f"the state serial is now {fresh_plan.serial}, the plan was made at "
                        f"serial {saved.get('serial')}")
    return problems


def _address_problem(address: str, old: dict, new: dict, saved_changes: dict,
                     fresh_changes: dict) -> str | None:
    if address in saved_changes and address not in fresh_changes:
        return "no longer planned"
    if address in old and address in new and old[address] != new[address]:
        return "changed in GCS since the plan was made"
    if address in fresh_changes and address not in saved_changes:
        return "a change the saved plan does not contain"
    if address in saved_changes and saved_changes[address] != fresh_changes[address]:
        return "the manifests now plan a different change"
    return None


def _not_a_plan_hint(path: Path) -> str:
    """What ``apply`` takes, with the real names: a manifest's directory, or a saved plan."""
    if _is_yaml(path):
        stack_dir = shlex.quote(str(Path(path).parent))
        return (f"to apply the stack this manifest is part of, give its directory: "
                f"'gcsapply apply {stack_dir}'; a saved plan is the file "
                f"'gcsapply plan {stack_dir} --out FILE' writes")
    return "apply takes a stack directory, or a plan saved by 'gcsapply plan' with --out"


def _why_not_json(path: Path, text: str, exc: json.JSONDecodeError) -> str:
    """In the user's words, not the JSON parser's."""
    if _is_yaml(path):
        return "it is a YAML file (a saved plan is JSON)"
    if not text.strip():
        return "it is empty"
    if not text.lstrip("\ufeff \t\r\n").startswith("{"):
        return "it is not JSON"
    return f"its JSON is cut short or damaged at line {exc.lineno}, column {exc.colno}"


def _is_yaml(path: Path) -> bool:
    return Path(path).suffix.lower() in (".yaml", ".yml")


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
    if "\x00" in stack_dir:
        return f"saved/stack_dir: {quote(stack_dir)} is not a path (it holds a NUL byte)"
    if os.path.isabs(stack_dir):
        return (f"saved/stack_dir: {quote(stack_dir)} is an absolute path; a saved plan names "
                "its stack directory relative to where 'gcsapply plan' ran")
    for name in document["saved"]["files"]:
        if not is_stack_file(name):
            return f"saved/files: {quote(name)} is not a path inside the stack directory"
    for address in document["saved"]["fingerprints"]:
        if not _ADDRESS.fullmatch(address):
            return f"saved/fingerprints: {quote(address)} is not an address"
    return None


def _fingerprint(change: Change) -> str:
    if change.action is Action.CREATE and change.before is None:
        return ABSENT
    return fingerprint({"gcs_id": change.gcs_id, "before": change.before})
