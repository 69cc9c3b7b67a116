"""Diagnostics: one problem found in an input file, Terraform style.

Every checker collects :class:`Diagnostic` values instead of raising, so a user sees every
problem at once. Text form (DESIGN §2)::

    FILE:LINE:COL: error: MESSAGE (at PATH)
      hint: HINT

Input files are hostile (DESIGN §7b): a message quotes a value read from a file only through
:func:`excerpt` (at most :data:`EXCERPT_LIMIT` characters, control and other non-printable
characters escaped, ``...`` when cut), and every Diagnostic escapes what is still
non-printable in its fields and cuts a message or hint beyond :data:`MAX_TEXT`, so no
diagnostic can move a terminal's cursor, hide text or print a file whole.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"
EXCERPT_LIMIT = 40  # characters of a value read from a file that a message may quote
MAX_TEXT = 1000  # a message or hint is never longer (a backstop: values are excerpted first)
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

Path = tuple  # a key path inside a YAML document: str keys and int indices


def format_path(path: Iterable) -> str:
    """``("workflow", "align", "commands", 0)`` -> ``workflow.align.commands[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def excerpt(value, limit: int | None = EXCERPT_LIMIT) -> str:
    """``value`` as text for a message: control and other non-printable characters escaped
    (``\\n``, ``\\x1b``, ``\\u202e``); longer than ``limit`` characters (None: no limit),
    it is cut to fit with ``...``."""
    text = value if isinstance(value, str) else str(value)
    if (limit is None or len(text) <= limit) and text.isprintable():
        return text
    pieces = [c if c.isprintable() else _escape(c) for c in (text if limit is None else text[: limit + 1])]
    if limit is None or (len(text) <= limit and sum(map(len, pieces)) <= limit):
        return "".join(pieces)
    kept, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - 3:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "..."


def quote(value, limit: int = EXCERPT_LIMIT) -> str:
    """``'<excerpt>'``: a value read from a file, quoted for a message."""
    return f"'{excerpt(value, limit)}'"


def excerpt_list(values, *, most: int = 10, limit: int = EXCERPT_LIMIT) -> str:
    """``a, b, c`` of excerpts, at most ``most`` of them, then ``and N more``."""
    values = list(values)
    shown = ", ".join(excerpt(v, limit) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # ERROR or WARNING
    code: str  # short kebab-case id, e.g. "unknown-key"
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None

    def __post_init__(self):
        for name, limit in (("message", MAX_TEXT), ("hint", MAX_TEXT), ("file", None), ("path", None)):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, excerpt(value, limit))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def render(self) -> str:
        location = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        text = f"{self.severity}: {self.message}"
        if location:
            text = f"{location}: {text}"
        if self.path:
            text += f" (at {self.path})"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self):
        return (self.file or "", self.line or 0, self.column or 0, self.path or "", self.code)


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by file and position, dropping exact duplicates."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def render_diagnostics_text(diagnostics: Iterable[Diagnostic]) -> str:
    diagnostics = sort_diagnostics(diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    lines = [d.render() for d in diagnostics]
    lines.append(f"{errors} error{'s' if errors != 1 else ''}, "
                 f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "\n".join(lines) + "\n"


def render_diagnostics_json(diagnostics: Iterable[Diagnostic]) -> str:
    """The document of ``schemas/diagnostics.schema.json``."""
    diagnostics = sort_diagnostics(diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    document = {
        "format_version": "1.0",
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": [asdict(d) for d in diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
