"""Input values: type checks, conversion, rendering and ``${name}`` substitution.

Rendering follows kubegene (grammar reference §4): one textual pass, numbers in their shortest
form (``3``, ``0.5``; an integral float prints as an int), bools as ``true``/``false``, arrays as
compact JSON. A ``${...}`` whose name has no value is left verbatim.
"""

from __future__ import annotations

import json
import math
import re

from gcsapply.diagnostics import EXCERPT_LIMIT, quote

INPUT_TYPES = ("string", "number", "bool", "array")
VAR_RE = re.compile(r"\$\{([^{}]*)\}")
POSITIONAL_RE = re.compile(r"^[1-9][0-9]*$")
BUILTIN_PVCS = ("GCS_REF_PVC", "GCS_DATA_PVC", "GCS_SFS_PVC",
                "BCE_REF_PVC", "BCE_DATA_PVC", "BCE_SFS_PVC")
ITEM = "item"

_NUMBER_TEXT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_INT_TEXT = re.compile(r"^[-+]?[0-9]+$")
_CPU = re.compile(r"^(\d+(?:\.\d+)?)[cC]?$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)[gG]?$")
_MAX_INT_DIGITS = 309  # decimal digits of the largest float
_MAX_NUMBER = 2 ** 1024  # integers at or beyond it do not fit a float
_ARTICLE = {"string": "a", "number": "a", "bool": "a", "array": "an"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def type_problem(value, type_name: str) -> str | None:
    """Why ``value`` is not of input type ``type_name``, or None when it is."""
    if type_name == "number":
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and (isinstance(value, int) or math.isfinite(value)))  # a huge int overflows isfinite
    elif type_name == "bool":
        ok = isinstance(value, bool)
    elif type_name == "string":
        ok = isinstance(value, str)
    elif type_name == "array":
        ok = isinstance(value, list)
    else:
        return f"unknown input type {quote(type_name)}"
    return None if ok else f"expected {_ARTICLE[type_name]} {type_name}, got {describe(value)}"


def convert_input(value, type_name: str):
    """Convert ``value`` to input type ``type_name``; strings (sample sheets, CLI) are parsed.

    number: ``"4"`` -> 4, ``"0.5"`` -> 0.5 (integral values become ints); bool: ``true``/``false``
    in any case; array: JSON array text only; string: as is. Non-string values are type-checked.
    Raises ValueError with a short reason.
    """
    if type_name not in INPUT_TYPES:
        raise ValueError(f"unknown input type {quote(type_name)}")
    if isinstance(value, str) and type_name != "string":
        return _from_text(value, type_name)
    problem = type_problem(value, type_name)
    if problem:
        raise ValueError(problem)
    return normalize(value)


def normalize(value):
    """Integral floats become ints, recursively (so ``4.0`` and ``4`` are the same value)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    return value


def render_value(value) -> str:
    """The text a value becomes when spliced into a command or path."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(normalize(value), separators=(",", ":"), ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace each ``${name}`` that has a value, in one pass; others stay verbatim."""
    return VAR_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def variable_names(text) -> list[str]:
    """Names of every ``${...}`` in ``text`` (empty for non-strings)."""
    return VAR_RE.findall(text) if isinstance(text, str) else []


def walk_strings(value, path=()):
    """Every string in a nested value, with its key path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from walk_strings(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk_strings(child, path + (index,))


def whole_variable(text) -> str | None:
    """``x`` when ``text`` is exactly ``${x}`` (surrounding blanks allowed), else None."""
    if not isinstance(text, str):
        return None
    match = VAR_RE.fullmatch(text.strip())
    return match.group(1) if match else None


def describe(value) -> str:
    if isinstance(value, bool):
        return f"bool {render_value(value)}"
    if isinstance(value, (int, float)):
        return f"number {render_value(value)}"
    if isinstance(value, str):
        return f"string {json.dumps(shorten(value), ensure_ascii=False)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def parse_cpu(value) -> float | None:
    """``2c``/``0.5C``/``4`` -> cores; None when the text does not match."""
    match = _CPU.match(render_value(value).strip()) if value is not None else None
    return float(match.group(1)) if match else None


def parse_memory(value) -> float | None:
    """``8G``/``1.5g``/``4`` -> GB; None when the text does not match."""
    match = _MEMORY.match(render_value(value).strip()) if value is not None else None
    return float(match.group(1)) if match else None


def parse_integer(text) -> int | None:
    """An integer from ``3``, ``"3"``, ``3.0``; None otherwise (bools are not integers)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    if isinstance(text, float):
        return int(text) if math.isfinite(text) and text.is_integer() else None
    if isinstance(text, str) and _NUMBER_TEXT.match(text.strip()):
        if _INT_TEXT.match(text.strip()):
            return _int_or_none(text.strip())
        number = float(text.strip())
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


def strip_one_newline(text: str) -> str:
    """Drop one trailing newline (``\\n`` or ``\\r\\n``), as kubegene does with stdout."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def decode_escapes(text: str) -> str:
    """Decode ``\\n``, ``\\t``, ``\\r``, ``\\\\`` and quote escapes; other backslashes stay."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def shorten(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (with ``...``) for messages (not escaped)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _int_or_none(text: str) -> int | None:
    """``int(text)`` for decimal text; None beyond the range of a float (Python refuses to
    parse more than 4300 digits anyway)."""
    value = int(text) if len(text.lstrip("+-")) <= _MAX_INT_DIGITS else None
    return value if value is not None and abs(value) < _MAX_NUMBER else None


def _from_text(text: str, type_name: str):
    stripped = text.strip()
    shown = quote(text)
    if type_name == "number":
        if not _NUMBER_TEXT.match(stripped):
            raise ValueError(f"not a number: {shown}")
        if _INT_TEXT.match(stripped):
            value = _int_or_none(stripped)
            if value is None:
                raise ValueError(f"number out of range: {shown}")
            return value
        number = float(stripped)
        if not math.isfinite(number):
            raise ValueError(f"number out of range: {shown}")
        return normalize(number)
    if type_name == "bool":
        if stripped.lower() not in ("true", "false"):
            raise ValueError(f"expected true or false, got {shown}")
        return stripped.lower() == "true"
    try:
        value = json.loads(stripped)
    except ValueError:
        raise ValueError(f'expected a JSON array such as ["a","b"], got {shown}') from None
    if not isinstance(value, list):
        raise ValueError(f'expected a JSON array such as ["a","b"], got {shown}')
    return normalize(value)

