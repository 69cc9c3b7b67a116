"""Name rules shared by every kind (DESIGN §2).

``metadata.name`` is ``^[a-z]([a-z0-9-]*[a-z0-9])?$`` with a per-kind length cap (the GCS names
built from it must fit the service's limits; the kinds' JSON Schemas enforce both). ExecutionSet
members are ``<set>-<s(key)>``. A versioned GCS name is ``<name>-<8 hex>``: a content-versioned
workflow's ``<name>-<digest[:8]>`` and every run's ``<name>-<key[:8]>``.
"""

from __future__ import annotations

import hashlib
import re

NAME_PATTERN = r"[a-z]([a-z0-9-]*[a-z0-9])?"
NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
STACK_NAME_MAX = 63  # the value of the gcsapply-stack label
WORKFLOW_NAME_MAX = 31  # <name>-<digest[:8]> must fit GCS's 40
EXECUTION_NAME_MAX = 54  # <name>-<key[:8]> must fit GCS's 63
EXECUTIONSET_NAME_MAX = EXECUTION_NAME_MAX - 2  # leaves room for "-" and one character
SAFE_SET_NAME_MAX = EXECUTION_NAME_MAX - 12  # "-k" + 10 hex digits always fits

_OUTSIDE = re.compile(r"[^a-z0-9]+")
_VERSIONED = re.compile(rf"^(?P<base>{NAME_PATTERN})-(?P<suffix>[0-9a-f]{{8}})$")


def is_valid_name(name: str, max_length: int) -> bool:
    return isinstance(name, str) and len(name) <= max_length and bool(NAME_RE.match(name))


def versioned_name(name: str, hex_digest: str) -> str:
    """``<name>-<hex_digest[:8]>``: the GCS name of a run (run key) or a workflow version."""
    return f"{name}-{hex_digest[:8]}"


def base_name(gcs_name: str) -> str | None:
    """``na12878-3f2a9c1d`` -> ``na12878`` (the metadata.name of a versioned GCS name)."""
    match = _VERSIONED.match(gcs_name or "")
    return match.group("base") if match else None


def sanitise(text: str) -> str:
    """s(): lowercase, each run of characters outside ``[a-z0-9]`` becomes ``-``, trim ``-``."""
    return _OUTSIDE.sub("-", str(text).lower()).strip("-")


def hashed_suffix(key: str) -> str:
    """``k<sha256(key)[:10]>``: the member suffix when s(key) cannot be used."""
    return "k" + hashlib.sha256(str(key).encode("utf-8")).hexdigest()[:10]


def member_name(set_name: str, key: str) -> str:
    """``<set>-<s(key)>``, or ``<set>-k<sha256(key)[:10]>`` when s(key) is empty, starts with a
    digit or makes the name longer than 54 characters. The result may still be too long when
    the set name itself leaves no room: callers check :func:`is_valid_name`."""
    suffix = sanitise(key)
    name = f"{set_name}-{suffix}"
    if not suffix or suffix[0].isdigit() or len(name) > EXECUTION_NAME_MAX:
        name = f"{set_name}-{hashed_suffix(key)}"
    return name


def derived_stack_name(directory_name: str) -> str:
    """The stack name of a tree without a Stack manifest: s(directory name), or
    ``k<sha256(directory name)[:10]>`` when that is empty, starts with a digit or is too long."""
    name = sanitise(directory_name)
    if not name or name[0].isdigit() or len(name) > STACK_NAME_MAX:
        return hashed_suffix(directory_name)
    return name
