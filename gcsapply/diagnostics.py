"""Diagnostics: one problem found in an input file, Terraform style.

Every checker collects :class:`Diagnostic` values instead of raising, so a user sees every
problem at once. Text form (DESIGN §2)::

    FILE:LINE:COL: error: MESSAGE (at PATH)
      hint: HINT
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"

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
