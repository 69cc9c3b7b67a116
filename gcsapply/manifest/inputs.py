"""Check an Execution's ``inputs`` against its template and convert them to the declared types.

Names must be declared by the template; values must convert to the declared type (strings are
parsed: ``"30"`` for a number input is 30, integral numbers become ints); inputs without a
default need a value. Problems are reported at the line that wrote the value, quoting names
and values only as short escaped excerpts. A workflow given as ``{id: <uuid>}`` has no
template here: its inputs are kept as written (plan checks them).
"""

from __future__ import annotations

import math
import re

from gcsapply.diagnostics import excerpt, excerpt_list, quote
from gcsapply.manifest.merge import MergedSpec
from gcsapply.manifest.schema import describe_value, did_you_mean
from gcsapply.template import convert_input
from gcsapply.template.values import normalize

INPUT_TYPES = ("string", "number", "bool", "array")
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SAMPLE_REF = re.compile(r"^\s*sample\.(\S(?:.*\S)?)\s*$", re.DOTALL)


def check_inputs(values: dict, template, spec: MergedSpec, *, rows: bool = False):
    """``(converted inputs, diagnostics)``. With ``rows`` (an ExecutionSet), a value that is
    exactly one ``{{ sample.col }}`` placeholder is kept for per-row conversion."""
    diagnostics = []
    if template is None or template.data is None:
        return normalize(values), diagnostics
    declared = template.inputs
    converted = {}
    for name, value in values.items():
        input_spec = declared.get(name)
        if input_spec is None:
            diagnostics.append(spec.diagnostic(
                ("inputs", name), "unknown-input",
                f"input {quote(name)} is not declared by template '{template.file}'",
                hint=_undeclared_hint(name, declared), at_key=True))
            continue
        if rows and whole_placeholder(value) is not None:
            converted[name] = value
            continue
        if input_spec.type not in INPUT_TYPES:
            converted[name] = normalize(value)  # the template's own diagnostics cover it
            continue
        try:
            converted[name] = _finite(convert_input(value, input_spec.type))
        except ValueError as exc:
            diagnostics.append(spec.diagnostic(
                ("inputs", name), "wrong-input-type",
                f"input {quote(name)} is declared as {input_spec.type} in '{template.file}': {exc}",
                hint=_type_hint(value, input_spec.type)))
    for name, input_spec in declared.items():
        if name not in values and not input_spec.has_default:
            diagnostics.append(spec.diagnostic(
                ("inputs",), "missing-input",
                f"input {quote(name)} ({excerpt(input_spec.type)}) has no default in '{template.file}' and no "
                "value here", hint=f"add '{excerpt(name)}: <value>' under inputs", at_key=True))
    return converted, diagnostics


def convert_sample_value(value, template, name: str, render=str):
    """A sample cell for input ``name``: converted to its declared type (raises ValueError).
    ``render`` gives the text of a non-string cell (inline rows) for a string input."""
    input_spec = template.inputs.get(name) if template is not None and template.data is not None else None
    if input_spec is None or input_spec.type not in INPUT_TYPES:
        return value
    if input_spec.type == "string" and isinstance(value, (bool, int, float)):
        return render(value)  # an inline row's 12 is the text "12", as in a CSV file
    return _finite(convert_input(value, input_spec.type))


def placeholder_columns(text) -> list[str | None]:
    """The column of each ``{{ ... }}`` in ``text``; None for one that is not ``sample.<col>``."""
    if not isinstance(text, str):
        return []
    out = []
    for match in _PLACEHOLDER.finditer(text):
        ref = _SAMPLE_REF.match(match.group(1))
        out.append(ref.group(1) if ref else None)
    return out


def whole_placeholder(text) -> str | None:
    """The column when ``text`` is exactly one ``{{ sample.col }}``, else None."""
    if not isinstance(text, str):
        return None
    match = _PLACEHOLDER.fullmatch(text.strip())
    if not match or "{{" in match.group(1):
        return None
    ref = _SAMPLE_REF.match(match.group(1))
    return ref.group(1) if ref else None


def substitute_placeholders(text: str, row: dict, render) -> str:
    """Each ``{{ sample.col }}`` replaced by ``render(row[col])``; others stay as written."""
    def replace(match):
        ref = _SAMPLE_REF.match(match.group(1))
        if ref and ref.group(1) in row:
            return render(row[ref.group(1)])
        return match.group(0)
    return _PLACEHOLDER.sub(replace, text)


def _finite(value):
    """Numbers must be finite: ``1e400`` parses as infinity, which no run key can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return value


def _undeclared_hint(name: str, declared: dict) -> str:
    if not declared:
        return "the template declares no inputs"
    suggestion = did_you_mean(name, declared)
    listed = "declared inputs: " + excerpt_list(sorted(declared), most=20)
    return f"{suggestion} ({listed})" if suggestion else listed


def _type_hint(value, type_name: str) -> str:
    if type_name == "string":
        return "quote the value to make it a string"
    if type_name == "number":
        return f"write a number, e.g. 30 (got {describe_value(value)})"
    if type_name == "bool":
        return "write true or false"
    return "write a list, e.g. [chr1, chr2]"
