"""The shapes of what the state files hold, checked field by field (DESIGN §3, §8).

``state.json`` and ``journal.jsonl`` are read by ``plan`` on untrusted pull requests and may be
damaged by hand, by a full disk or by another tool: every value plan, apply and status read is
checked here once, so a damaged file is a :class:`~gcsapply.errors.StateError` naming the file
and the field, never a crash further on. The checks follow ``schemas/state.schema.json`` but
are hand-written: validating a 10,000-run state against the schema would cost more than such a
plan may spend.

Every function returns the first problem as text (``execution/a: gcs_id must be a printable
string or null (found a list)``), or None. Values read from a file are quoted only through
:func:`gcsapply.diagnostics.excerpt`; identifiers (names, ids, keys) must be printable, so none
printed later can move a terminal's cursor.
"""

from __future__ import annotations

import json
import math
import re

from gcsapply.diagnostics import excerpt

ADDRESS = re.compile(r"(workflow|execution)/[a-z]([a-z0-9-]*[a-z0-9])?")
HEX64 = re.compile(r"[0-9a-f]{64}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
MAX_DEPTH = 80  # manifests nest at most 64 levels (yamlio); deeper would overflow copies
MAX_COUNT = 2**31 - 1  # attempts, retries
MAX_SERIAL = 2**63 - 1
MAX_NAME = 1024  # characters of an identifier (names, ids, keys, lineage)
KINDS = {"execution": "Execution", "workflow": "Workflow"}
PHASES = ("meta", "base", "begin", "end", "state")
_MISSING = object()


class StrictJsonError(ValueError):
    """A JSON text gcsapply never writes: NaN, Infinity, a number too large, nesting too deep."""


def loads_strict(text: str):
    """``json.loads`` that refuses NaN, Infinity, 1e999 and nesting deeper than the
    interpreter can follow (:class:`StrictJsonError` or :class:`json.JSONDecodeError`)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise StrictJsonError("nested too deeply") from exc
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits
        raise StrictJsonError(str(exc).split(";")[0] or "a value cannot be read") from exc
    if _SURROGATE_ESCAPE.search(text):  # rare: check that every escaped pair is whole
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError) as exc:
            raise StrictJsonError("a string holds half of a UTF-16 surrogate pair") from exc
    return value


def state_problem(data) -> str | None:
    """The first problem of a state document (``format_version`` already checked)."""
    binding = data.get("binding")
    if binding is not None:
        problem = binding_problem(binding)
        if problem:
            return problem
    lineage = data.get("lineage")
    if not _optional_name(lineage):
        return f"lineage must be a printable string or null (found {_shown(lineage)})"
    serial = data.get("serial", 0)
    if not _whole(serial, MAX_SERIAL):
        return f"serial must be a whole number from 0 (found {_shown(serial)})"
    resources = data.get("resources")
    return resources_problem({} if resources is None else resources)


def binding_problem(binding) -> str | None:
    if not isinstance(binding, dict):
        return f"binding must be an object or null (found {_kind_of(binding)})"
    for name in ("endpoint", "project_id", "stack"):
        if not _name(binding.get(name)):
            return f"binding.{name} must be a printable string (found {_shown(binding.get(name))})"
    return None


def resources_problem(resources) -> str | None:
    """The first shape problem of an inventory (address -> entry)."""
    if not isinstance(resources, dict):
        return f"resources must map addresses to objects (found {_kind_of(resources)})"
    for address, entry in resources.items():
        problem = entry_problem(address, entry)
        if problem:
            return problem
    return None


def entry_problem(address, entry) -> str | None:
    """The first shape problem of one inventory entry (None: a removed address, allowed only
    in a journal's ``set``, is checked by the caller)."""
    match = ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if match is None:
        return (f"resources: {_shown(address)} is not an address (workflow/<name> or "
                "execution/<name>)")
    if not isinstance(entry, dict):
        return f"resources must map addresses to objects ({address} does not)"
    kind = KINDS[match.group(1)]
    if entry.get("kind") != kind:
        return f"{address}: kind must be {kind!r} (found {_shown(entry.get('kind'))})"
    fields = _EXECUTION if kind == "Execution" else _WORKFLOW
    for name, (check, wanted) in fields.items():
        if name in entry and not check(entry[name]):
            return f"{address}: {name} must be {wanted} (found {_shown(entry[name])})"
    records, record_fields = ("superseded", _SUPERSEDED) if kind == "Execution" \
        else ("versions", _VERSION)
    problem = _records_problem(address, records, entry.get(records, _MISSING), record_fields)
    if problem:
        return problem
    if kind == "Execution":
        problem = _run_policy_problem(address, entry.get("run_policy"))
        if problem:
            return problem
    if too_deep(entry):
        return f"{address}: nested more than {MAX_DEPTH} levels deep"
    return None


def journal_entry_problem(entry) -> str | None:
    """The first shape problem of one journal line (what replay and resolution read)."""
    if not isinstance(entry, dict):
        return f"not a journal entry (found {_kind_of(entry)})"
    phase = entry.get("phase")
    if phase not in PHASES:
        return f"phase must be one of {', '.join(PHASES)} (found {_shown(phase)})"
    if phase == "base":  # a remote state's journal: the serial of the state it continues
        serial = entry.get("serial")
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
            return f"serial must be a whole number (found {_shown(serial)})"
        lineage = entry.get("lineage")
        return None if _optional_name(lineage) else \
            f"lineage must be a printable string or null (found {_shown(lineage)})"
    if phase == "meta":
        lineage = entry.get("lineage")
        if not _optional_name(lineage):
            return f"lineage must be a printable string or null (found {_shown(lineage)})"
        binding = entry.get("binding")
        return binding_problem(binding) if binding else None
    for name, (check, wanted) in _JOURNAL.items():
        if name in entry and not check(entry[name]):
            return f"{name} must be {wanted} (found {_shown(entry[name])})"
    if phase in ("begin", "end") and not _name(entry.get("id")):
        return f"id must be a printable string (found {_shown(entry.get('id'))})"
    updates = entry.get("set")
    if updates is None:
        return None
    if not isinstance(updates, dict):
        return f"set must map addresses to entries (found {_kind_of(updates)})"
    for address, resource in updates.items():
        if resource is None and isinstance(address, str) and ADDRESS.fullmatch(address):
            continue
        problem = entry_problem(address, resource)
        if problem:
            return f"set: {problem}"
    return None


def _records_problem(address, name, records, fields) -> str | None:
    if records is _MISSING:
        return None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return f"{address}: {name} must be a list of objects"
    for index, record in enumerate(records):
        for field, (check, wanted, required) in fields.items():
            if (field in record or required) and not check(record.get(field)):
                return (f"{address}: {name}[{index}].{field} must be {wanted} "
                        f"(found {_shown(record.get(field))})")
    return None


def _run_policy_problem(address, policy) -> str | None:
    if policy is None:
        return None
    if policy.get("mode") not in ("once", "untilSucceeded"):
        return (f"{address}: run_policy.mode must be 'once' or 'untilSucceeded' "
                f"(found {_shown(policy.get('mode'))})")
    if not _whole(policy.get("max_retries"), MAX_COUNT):
        return (f"{address}: run_policy.max_retries must be a whole number from 0 "
                f"(found {_shown(policy.get('max_retries'))})")
    return None


def too_deep(value, limit: int | None = None) -> bool:
    """True when ``value`` nests containers more than ``limit`` (:data:`MAX_DEPTH`) levels deep.
    Level by level, without recursion (a 10,000-run state is checked in a few milliseconds)."""
    level = [value] if type(value) in (dict, list) else []
    for _ in range(MAX_DEPTH if limit is None else limit):
        deeper = []
        for item in level:
            for child in (item.values() if type(item) is dict else item):
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        if not deeper:
            return False
        level = deeper
    return bool(level)


def _whole(value, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most


def _string(value) -> bool:
    return isinstance(value, str)


def _name(value) -> bool:
    """An identifier, shown as it is (a name, an id, a key): printable, of a sane length."""
    return isinstance(value, str) and len(value) <= MAX_NAME and value.isprintable()


def _optional_name(value) -> bool:
    return value is None or _name(value)


def _optional_string(value) -> bool:
    return value is None or isinstance(value, str)


def _optional_hex64(value) -> bool:
    return value is None or (isinstance(value, str) and HEX64.fullmatch(value) is not None)


def _bool(value) -> bool:
    return isinstance(value, bool)


def _object(value) -> bool:
    return isinstance(value, dict)


def _count(value) -> bool:
    return _whole(value, MAX_COUNT)


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _kind_of(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value) -> str:
    """A short, escaped rendering of a value read from a file."""
    if isinstance(value, str):
        return f"'{excerpt(value)}'"
    if value is None or isinstance(value, bool) or \
            (isinstance(value, int) and abs(value) < 10**12):
        return json.dumps(value)
    return _kind_of(value)


def _refuse_constant(name: str):
    raise StrictJsonError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJsonError(f"the number {excerpt(text)} is too large")
    return value


_NAME = (_name, "a printable string")
_OPTIONAL_NAME = (_optional_name, "a printable string or null")
_OPTIONAL_STRING = (_optional_string, "a string or null")
_COMMON = {
    "name": _NAME,
    "gcs_id": _OPTIONAL_NAME,
    "gcs_name": _OPTIONAL_NAME,
    "fingerprint": _NAME,
    "prevent_destroy": (_bool, "true or false"),
}
_EXECUTION = {
    **_COMMON,
    "key": (_optional_hex64, "64 hexadecimal digits or null"),
    "workflow": _NAME,
    "workflow_id": _OPTIONAL_NAME,
    "launch": (_object, "an object"),
    "deletion_policy": (lambda v: v in ("retain", "delete"), "'retain' or 'delete'"),
    "run_policy": (_object, "an object {mode, max_retries}"),
    "attempts": (_count, "a whole number from 0"),
}
_WORKFLOW = {
    **_COMMON,
    "digest": (_optional_hex64, "64 hexadecimal digits or null"),
    "versioning": (lambda v: v in ("content", "none"), "'content' or 'none'"),
    "description": _OPTIONAL_STRING,
    "vendor": _OPTIONAL_STRING,
    "update_at": _OPTIONAL_NAME,
    "created": (_bool, "true or false"),
}
# record field -> (check, wanted, required)
_SUPERSEDED = {
    "gcs_id": (*_NAME, True),
    "gcs_name": (*_OPTIONAL_NAME, False),
    "key": (*_OPTIONAL_NAME, False),
}
_VERSION = {
    "gcs_id": (*_NAME, True),
    "gcs_name": (*_OPTIONAL_NAME, False),
    "digest": (*_OPTIONAL_NAME, False),
    "created": (_bool, "true or false", False),
}
_JOURNAL = {
    "address": _NAME,
    "call": _NAME,
    "action": (lambda v: v in _ACTIONS, "an action (create, update, ...)"),
    "kind": (lambda v: v in ("Execution", "Workflow"), "'Execution' or 'Workflow'"),
    "gcs_name": _OPTIONAL_NAME,
    "gcs_id": _OPTIONAL_NAME,
    "workflow_id": _OPTIONAL_NAME,
    "labels": (lambda v: v is None or (isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(x, str) for k, x in v.items())),
        "an object of strings or null"),
    "at": (_finite_number, "a number"),
    "ok": (_bool, "true or false"),
}
_ACTIONS = ("create", "update", "replace", "retry", "cancel", "delete", "forget", "noop")
