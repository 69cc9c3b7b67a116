"""Field rules the reference documents, written once: names, texts, file names, integers,
paging, bool-ish strings. Pure functions over values: the handlers use them on query parameters,
the backend on body fields; each raises the documented 400 naming the field.
"""

from __future__ import annotations

import re

from gcsapply.emulator.errors import BadField, BadFileName, BadName, BadPaging, BadQuery, BadText

K8S_NAME = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(yaml|yml)$")
TOOL_VERSION = re.compile(r"^[a-zA-Z0-9]+([-.][a-zA-Z0-9]+)*$")
DIGITS = re.compile(r"^[0-9]+$")
TRUE_STRINGS = frozenset({"1", "t", "T", "true", "TRUE", "True"})
FALSE_STRINGS = frozenset({"0", "f", "F", "false", "FALSE", "False"})
DESCRIPTION_FORBIDDEN = "<>#%&"
VENDOR_FORBIDDEN = "<>()#%&/"
MAX_LIMIT = 1000
MAX_OFFSET = 2**63 - 1  # the service parses offset as a 64-bit integer (and SQLite's limit)


def check_name(value, what: str, max_bytes: int) -> str:
    """A K8s-style name: lowercase start, ``[a-z0-9-]``, alphanumeric end, at most ``max_bytes``."""
    if not isinstance(value, str) or not value:
        raise BadName(f"{what} is required and must be a non-empty string")
    if len(value.encode("utf-8")) > max_bytes:
        raise BadName(f"{what} {value!r} is longer than {max_bytes} bytes")
    if not K8S_NAME.match(value):
        raise BadName(f"{what} {value!r} must start with a lowercase letter, contain only lowercase "
                      "letters, digits and '-', and end with a letter or digit")
    return value


def check_text(value, what: str, *, max_len: int = 255, forbidden: str = DESCRIPTION_FORBIDDEN,
               utf8_bytes: bool = False) -> str:
    """Free text: a length cap (UTF-8 bytes when a Chinese character counts 3) and banned chars."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadText(f"{what} must be a string")
    length = len(value.encode("utf-8")) if utf8_bytes else len(value)
    if length > max_len:
        raise BadText(f"{what} is longer than {max_len} characters")
    bad = sorted({c for c in value if c in forbidden})
    if bad:
        raise BadText(f"{what} must not contain any of {' '.join(forbidden)} (found {' '.join(bad)})")
    return value


def check_strings(body: dict, names) -> None:
    """Fields the reference types as String must be strings when given (null counts as absent)."""
    wrong = [name for name in names if body.get(name) is not None and not isinstance(body[name], str)]
    if wrong:
        raise BadField(f"{', '.join(wrong)} must be {'strings' if len(wrong) > 1 else 'a string'}")


def check_file_name(value: str) -> str:
    if not isinstance(value, str) or len(value) > 64 or not FILE_NAME.match(value):
        raise BadFileName(f"{value!r} must start with a letter or digit, contain only letters, "
                          "digits, '.', '_' and '-', end with .yaml or .yml, and be at most 64 long")
    return value


def check_integer(value, what: str, low: int, high: int) -> int:
    """An integer (or a string of ASCII digits) between ``low`` and ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not DIGITS.match(str(value)):
        raise BadField(f"{what}={value!r} must be an integer between {low} and {high}")
    number = int(value)
    if not low <= number <= high:
        raise BadField(f"{what}={number} must be between {low} and {high}")
    return number


def parse_bool_arg(value: str | None, what: str, default: bool = False) -> bool:
    """A Go ``strconv.ParseBool`` string."""
    if value is None or value == "":
        return default
    if value in TRUE_STRINGS:
        return True
    if value in FALSE_STRINGS:
        return False
    raise BadQuery(f"{what}={value!r} is not a boolean (true/false, 1/0, t/f)")


def choice_arg(value: str | None, what: str, allowed, default: str = "") -> str:
    """A query parameter from a closed set; empty or absent gives ``default``."""
    if not value:
        return default
    if value not in allowed:
        raise BadQuery(f"{what}={value!r} must be one of {', '.join(allowed)}")
    return value


def check_project_arg(value: str | None, project_id: str) -> None:
    """The optional ``project_id`` query parameter must name the caller's own project."""
    if value and value != project_id:
        raise BadQuery(f"project_id={value!r} is not the caller's project")


def parse_paging(offset: str | None, limit: str | None) -> tuple[int, int | None]:
    """``offset``/``limit`` digit strings; ``limit`` 1-1000 and only together with ``offset``."""
    if limit is not None and offset is None:
        raise BadPaging("limit must be sent together with offset")
    start = 0
    if offset is not None:
        if not DIGITS.match(offset) or int(offset) > MAX_OFFSET:
            raise BadPaging(f"offset={offset!r} must consist of digits (at most {MAX_OFFSET})")
        start = int(offset)
    if limit is None:
        return start, None
    if not DIGITS.match(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise BadPaging(f"limit={limit!r} must be digits between 1 and {MAX_LIMIT}")
    return start, int(limit)


def page(items: list, start: int, limit: int | None) -> list:
    """The slice of ``items`` that ``offset``/``limit`` show (no limit: everything from start)."""
    return items[start:] if limit is None else items[start:start + limit]
