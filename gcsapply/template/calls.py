"""The built-in functions of the grammar: ``range``, ``get_result``, ``check_result`` (§7).

They are written as strings inside the YAML (``range(0, ${shards})``,
``get_result(split, "\\n")``); :func:`parse_call` turns such a string into a :class:`Call`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gcsapply.template.values import decode_escapes

FUNCTIONS = ("range", "get_result", "check_result")
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Arg:
    """One argument as written: ``text`` is unquoted and escape-decoded when ``quoted``."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Arg, ...]
    error: str | None = None  # set when the argument list itself is malformed


def parse_call(text) -> Call | None:
    """A :class:`Call` when ``text`` looks like ``name(...)`` for a grammar function, else None."""
    if not isinstance(text, str):
        return None
    match = _CALL.match(text)
    if not match or match.group(1) not in FUNCTIONS:
        return None
    args, error = _split_args(match.group(2))
    return Call(match.group(1), tuple(args), error)


def _split_args(text: str) -> tuple[list[Arg], str | None]:
    args: list[Arg] = []
    i, n = 0, len(text)
    if not text.strip():
        return [], None
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            quote, start, raw = text[i], i + 1, []
            i += 1
            while i < n and text[i] != quote:
                if text[i] == "\\" and i + 1 < n:
                    raw.append(text[i:i + 2])
                    i += 2
                    continue
                raw.append(text[i])
                i += 1
            if i >= n:
                return args, f"unterminated quoted argument starting at {quote(text[start - 1:])}"
            i += 1
            args.append(Arg(decode_escapes("".join(raw)), True))
            while i < n and text[i] in " \t":
                i += 1
        else:
            start = i
            while i < n and text[i] != ",":
                i += 1
            piece = text[start:i].strip()
            if not piece:
                return args, "empty argument"
            args.append(Arg(piece))
        if i >= n:
            return args, None
        if text[i] != ",":
            return args, f"unexpected text {quote(text[i:])} after an argument"
        i += 1
