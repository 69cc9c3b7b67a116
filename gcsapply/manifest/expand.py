"""ExecutionSet: one member Execution per sample-sheet row (DESIGN §2).

A member is named ``<set>-<s(key)>`` (see :func:`gcsapply.manifest.names.member_name`). In the
set's ``spec.template`` (Stack defaults merged under it), ``{{ sample.col }}`` is replaced by the
row's value: an input value that is exactly one placeholder converts to the input's declared
type; anywhere else the placeholders give text. Row problems are reported at the row's line,
quoting keys, cells and column names only as short escaped excerpts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gcsapply.diagnostics import Diagnostic, excerpt, quote
from gcsapply.manifest.inputs import (
    convert_sample_value,
    placeholder_columns,
    substitute_placeholders,
    whole_placeholder,
)
from gcsapply.manifest.merge import MergedSpec
from gcsapply.manifest.model import REFERENCED_FIELDS, ExecutionSpec, Source
from gcsapply.manifest.names import EXECUTION_NAME_MAX, SAFE_SET_NAME_MAX, is_valid_name, member_name
from gcsapply.manifest.samples import SampleRow, SampleSheet, cell_text, columns_hint
from gcsapply.manifest.schema import did_you_mean, execution_leaf_problems
from gcsapply.manifest.specs import build_execution_spec
from gcsapply.template.values import walk_strings


@dataclass
class Expansion:
    members: list[tuple[ExecutionSpec, SampleRow]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def expand_set(set_name: str, key_column: str, spec: MergedSpec, inputs: dict, sheet: SampleSheet,
               template, *, build: bool = True) -> Expansion:
    """Members of one ExecutionSet. ``inputs`` are the set-level checked inputs (placeholders
    still in place); ``template`` the workflow's Template, or None for ``{id: ...}``. Without
    ``build`` (the set has other problems) rows are only checked."""
    result = Expansion()
    result.diagnostics.extend(_check_placeholders(spec, sheet))
    set_level_problems = bool(result.diagnostics) or not build
    key_problems = _check_key_column(key_column, spec, sheet)
    if key_problems:
        result.diagnostics.extend(key_problems)
        return result
    # values other than inputs that hold placeholders are re-checked against the schema per row
    fields = _without(spec.data, "inputs")
    substituted = [(path, text) for path, text in walk_strings(fields, ()) if placeholder_columns(text)]
    positions = spec.positions()
    from_rows = {name for name, path in REFERENCED_FIELDS.items()
                 if any(written == path for written, _text in substituted)}
    keys: dict[str, SampleRow] = {}
    names: dict[str, tuple[str, SampleRow]] = {}
    for row in sheet.rows:
        problems = _row_problems(row, set_name, key_column, sheet, keys, names)
        if problems:
            result.diagnostics.extend(problems)
            continue
        key = cell_text(row.values[key_column]).strip()
        name = member_name(set_name, key)
        member_inputs, problems = _row_inputs(row, inputs, template, sheet)
        if set_level_problems:  # report row problems; build nothing
            result.diagnostics.extend(problems)
            continue
        values = [(path, substitute_placeholders(text, row.values, cell_text)) for path, text in substituted]
        data = _with_values(fields, values)
        for path, value in values:
            problems += [sheet.diagnostic(row, "sample-value", f"member {quote(name, 80)}: spec.template.{problem}",
                                          "the value comes from this row")
                         for problem in execution_leaf_problems(path, value)]
        if problems:
            result.diagnostics.extend(problems)
            continue
        source = Source(row.file, row.line, row.column)
        member = build_execution_spec(data, name=name, inputs=member_inputs, set_name=set_name,
                                      source=source,
                                      positions=_row_positions(positions, from_rows, source))
        result.members.append((member, row))
    return result


def _row_positions(positions: dict, from_rows: set, row: Source) -> dict:
    """A member's positions: the set's, except values written as placeholders, which come from
    the row (at the key path that holds the placeholder). Shared when no value does."""
    if not from_rows:
        return positions
    return {**positions, **{name: Source(row.file, row.line, row.column, positions[name].path)
                            for name in from_rows}}


def _row_problems(row: SampleRow, set_name: str, key_column: str, sheet: SampleSheet,
                  keys: dict, names: dict) -> list[Diagnostic]:
    if key_column not in row.values:
        return [sheet.diagnostic(row, "empty-key", f"row has no value for the key column {quote(key_column)}",
                                 "every row needs a key")]
    key = cell_text(row.values[key_column]).strip()
    if not key:
        return [sheet.diagnostic(row, "empty-key", f"column {quote(key_column)} is empty; every row needs a key",
                                 "fill in the key, or delete the row")]
    if key in keys:
        return [sheet.diagnostic(row, "duplicate-sample-key",
                                 f"column {quote(key_column)}: duplicate key {quote(key)} "
                                 f"(first on line {keys[key].line})",
                                 "keys must be unique: each row is one run")]
    keys[key] = row
    name = member_name(set_name, key)
    if not is_valid_name(name, EXECUTION_NAME_MAX):
        return [sheet.diagnostic(row, "member-name-too-long",
                                 f"member name {quote(name, 80)} for key {quote(key)} is {len(name)} characters "
                                 f"(at most {EXECUTION_NAME_MAX})",
                                 f"shorten the ExecutionSet name to at most {SAFE_SET_NAME_MAX} characters")]
    if name in names:
        other_key, other = names[name]
        return [sheet.diagnostic(row, "member-name-collision",
                                 f"column {quote(key_column)}: key {quote(key)} gives member name "
                                 f"{quote(name, 80)}, as does key {quote(other_key)} (line {other.line})",
                                 "make the keys differ in more than case and punctuation")]
    names[name] = (key, row)
    return []


def _row_inputs(row: SampleRow, inputs: dict, template, sheet: SampleSheet):
    converted, problems = {}, []
    for name, value in inputs.items():
        column = whole_placeholder(value)
        if column is None:
            converted[name] = _substitute(value, row.values)
            continue
        if column not in sheet.columns:
            continue  # reported once, at the placeholder
        if column not in row.values:
            problems.append(sheet.diagnostic(row, "missing-cell", f"row has no value for column {quote(column)}",
                                             f"input {quote(name)} takes it from {{{{ sample.{excerpt(column)} }}}}"))
            continue
        cell = row.values[column]
        try:
            converted[name] = convert_sample_value(cell, template, name, cell_text)
        except ValueError as exc:
            type_name = template.inputs[name].type if template is not None else "?"
            problems.append(sheet.diagnostic(
                row, "sample-value",
                f"column {quote(column)}: {exc} (input {quote(name)} is declared as {type_name})",
                f"fix the value, or the type of {quote(name)} in {template.file}"))
    return converted, problems


def _check_placeholders(spec: MergedSpec, sheet: SampleSheet) -> list[Diagnostic]:
    out = []
    for path, text in walk_strings(spec.data, ()):
        for column in placeholder_columns(text):
            if column is None:
                out.append(spec.diagnostic(path, "bad-placeholder",
                                           "placeholders are written {{ sample.<column> }}",
                                           hint=columns_hint(sheet.columns)))
            elif column not in sheet.columns:
                suggestion = did_you_mean(column, sheet.columns)
                columns = columns_hint(sheet.columns, f"columns of {sheet.file}")
                out.append(spec.diagnostic(path, "unknown-column",
                                           f"{{{{ sample.{excerpt(column)} }}}} names no column of the sample sheet",
                                           hint=f"{suggestion} ({columns})" if suggestion else columns))
    return out


def _check_key_column(key_column: str, spec: MergedSpec, sheet: SampleSheet) -> list[Diagnostic]:
    if key_column in sheet.columns:
        return []
    message = f"key column {quote(key_column)} is not in the sample sheet"
    suggestion = did_you_mean(key_column, sheet.columns)
    hint = columns_hint(sheet.columns)
    hint = f"{suggestion} ({hint})" if suggestion else hint
    if sheet.inline:
        return [spec.document.diagnostic(("spec", "key"), "unknown-key-column", message, hint=hint)]
    return [sheet.diagnostic(None, "unknown-key-column", message + " header", hint)]


def _substitute(value, row: dict):
    if isinstance(value, str):
        return substitute_placeholders(value, row, cell_text) if "{{" in value else value
    if isinstance(value, dict):
        return {k: _substitute(v, row) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, row) for v in value]
    return value


def _with_values(node, assignments: list):
    """``node`` with the value at each ``(path, value)`` replaced; only the containers along
    those paths are copied."""
    if not assignments:
        return node
    for path, value in assignments:
        if not path:
            return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    heads: dict = {}
    for path, value in assignments:
        heads.setdefault(path[0], []).append((path[1:], value))
    for head, rest in heads.items():
        copy[head] = _with_values(node[head], rest)
    return copy


def _without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}
