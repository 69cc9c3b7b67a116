"""Sample sheets of ExecutionSets: a .csv/.tsv file or an inline list of rows (DESIGN §2).

Files are UTF-8 (an optional BOM is dropped); the delimiter follows the extension (``,`` for
.csv, a tab for .tsv); the first non-blank record is the header. Blank records are skipped;
surrounding spaces of header names and values are dropped. Every problem is reported in the
sheet itself at the physical line of the record (``samples.csv:4: ...``), so a user can jump
to it; inline rows are reported at their line in the manifest. A message quotes a header name
or a cell only as a short escaped excerpt (:func:`gcsapply.diagnostics.excerpt`), and a list of
columns only its first few (:func:`columns_hint`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.diagnostics import ERROR, Diagnostic, excerpt, excerpt_list, format_path, quote
from gcsapply.manifest.reads import FilesRead
from gcsapply.yamlio import YamlDocument

MAX_COLUMNS_SHOWN = 10


@dataclass(frozen=True)
class SampleRow:
    values: dict  # column -> value (str from files; YAML scalars inline)
    file: str  # where the row is written, as reached from DIR
    line: int | None
    column: int | None = None
    path: str | None = None  # key path for inline rows

    def where(self) -> str:
        return ":".join(str(p) for p in (self.file, self.line) if p is not None)


@dataclass
class SampleSheet:
    file: str  # the sheet file, or the manifest holding inline rows
    columns: list[str]
    rows: list[SampleRow] = field(default_factory=list)
    header_line: int | None = None
    inline: bool = False

    def diagnostic(self, row: SampleRow | None, code: str, message: str, hint: str | None = None):
        """An error at ``row`` (or at the header when ``row`` is None)."""
        if row is None:
            return Diagnostic(ERROR, code, message, self.file, self.header_line, None, None, hint)
        return Diagnostic(ERROR, code, message, row.file, row.line, row.column, row.path, hint)


def read_sample_file(path: Path, shown: str, *, files: FilesRead
                     ) -> tuple[SampleSheet | None, list[Diagnostic]]:
    """Parse a .csv/.tsv sheet, read through ``files`` (which keeps its digest). Missing files
    are the caller's to report (at the manifest)."""
    try:
        raw = files.read(path, shown)
    except OSError as exc:
        return None, [Diagnostic(ERROR, "unreadable-file", f"cannot read sample sheet: {exc.strerror}",
                                 shown, hint="check the file's permissions, or where its symbolic link points")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Diagnostic(ERROR, "not-utf8", "sample sheet is not valid UTF-8", shown, line,
                                 None, None, "save the sheet as UTF-8 (CSV UTF-8 in spreadsheet programs)")]
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    records, problems = _records(text, delimiter, shown)
    if problems:
        return None, problems
    if not records:
        return None, [Diagnostic(ERROR, "empty-sample-sheet", "sample sheet is empty", shown, 1, None,
                                 None, "the first line names the columns; then one row per sample")]
    header_line, header = records[0]
    sheet = SampleSheet(shown, [], header_line=header_line)
    diagnostics = _check_header(sheet, header)
    if diagnostics:
        return None, diagnostics
    sheet.columns = header
    for line, cells in records[1:]:
        if len(cells) != len(header):
            diagnostics.append(Diagnostic(
                ERROR, "sample-row-width",
                f"row has {len(cells)} field{'s' if len(cells) != 1 else ''}; the header has {len(header)}",
                shown, line, None, None,
                "separate fields with exactly one tab" if delimiter == "\t"
                else "quote values that contain commas"))
            continue
        sheet.rows.append(SampleRow(dict(zip(header, cells, strict=True)), shown, line))
    if not sheet.rows and not diagnostics:
        diagnostics.append(Diagnostic(ERROR, "empty-sample-sheet", "sample sheet has a header but no rows",
                                      shown, header_line, None, None, "add one row per sample"))
    return sheet, diagnostics  # rows of the wrong width are reported and left out


def inline_sample_sheet(document: YamlDocument, path: tuple) -> SampleSheet:
    """The rows of a schema-valid inline ``samples:`` list; columns are their union, in order."""
    rows = document.data
    for part in path:
        rows = rows[part]
    columns: list[str] = []
    sheet = SampleSheet(document.file, columns, inline=True, header_line=document.where(path)[0])
    for index, row in enumerate(rows):
        for column in row:
            if column not in columns:
                columns.append(column)
        line, col = document.where(path + (index,))
        sheet.rows.append(SampleRow(dict(row), document.file, line, col, format_path(path + (index,))))
    return sheet


def columns_hint(columns, prefix: str = "columns") -> str:
    """``columns: a, b, c``: at most the first ten names, each a short excerpt."""
    return f"{prefix}: {excerpt_list(columns, most=MAX_COLUMNS_SHOWN)}" if columns else f"{prefix}: (none)"


def cell_text(value) -> str:
    """A cell as text: inline YAML scalars print like they are written (``true``, ``3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _records(text: str, delimiter: str, shown: str) -> tuple[list, list[Diagnostic]]:
    """``[(physical line where the record starts, [cells])]``, blank records dropped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records, line = [], 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            cells = [c.strip() for c in cells]
            if any(cells):
                records.append((start, cells))
    except csv.Error as exc:
        return [], [Diagnostic(ERROR, "sample-syntax", f"cannot parse the sample sheet: {excerpt(exc, 80)}", shown,
                               reader.line_num or 1, None, None, "check the quoting on this line")]
    return records, []


def _check_header(sheet: SampleSheet, header: list[str]) -> list[Diagnostic]:
    diagnostics, seen = [], set()
    for index, name in enumerate(header, start=1):
        if not name:
            diagnostics.append(sheet.diagnostic(None, "sample-header", f"column {index} has no name",
                                                "name every column in the first line"))
        elif name in seen:
            diagnostics.append(sheet.diagnostic(None, "sample-header", f"column {quote(name)} appears twice",
                                                "column names must be unique"))
        seen.add(name)
    return diagnostics
