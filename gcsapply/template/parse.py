"""Reading a ``genecontainer_0_1`` template and the :class:`Template` object the others use."""

from __future__ import annotations

from pathlib import Path

from gcsapply.diagnostics import ERROR, Diagnostic
from gcsapply.errors import TemplateError
from gcsapply.template.expand import expand_data
from gcsapply.template.graph import InputSpec, JobGraph
from gcsapply.template.inputs import check_values, read_inputs, resolve_values
from gcsapply.template.validate import validate_document
from gcsapply.yamlio import YamlDocument, load_yaml_text, read_regular_file


class Template:
    """One template file: raw bytes, parsed data with positions, declared inputs and steps."""

    def __init__(self, file: str, raw: bytes, document: YamlDocument | None,
                 parse_diagnostics: list[Diagnostic]):
        self.file = file
        self.raw = raw
        self.document = document
        self.data: dict | None = document.data if document and isinstance(document.data, dict) else None
        self.parse_diagnostics = list(parse_diagnostics)
        self.inputs: dict[str, InputSpec] = read_inputs(self.data)
        workflow = self.data.get("workflow") if self.data else None
        self.step_names: list[str] = [str(n) for n in workflow] if isinstance(workflow, dict) else []

    def __repr__(self) -> str:
        return f"Template({self.file!r}, steps={self.step_names})"

    def validate(self, strict: bool = True) -> list[Diagnostic]:
        """Every problem at once. ``strict``: the whole §10 checklist; else the [DOC] rules only."""
        if self.document is None:
            return list(self.parse_diagnostics)
        return list(self.parse_diagnostics) + validate_document(self.document, strict=strict)

    def check_inputs(self, values: dict) -> list[str]:
        """Problems with run-time values: undeclared names, wrong types, missing required ones."""
        return check_values(self.inputs, values)

    def resolve_inputs(self, values: dict | None = None) -> dict:
        """Defaults plus ``values``, typed, with defaults' ``${...}`` references resolved."""
        resolved, problems = resolve_values(self.inputs, dict(values or {}))
        if problems:
            raise TemplateError(f"invalid input values for template {self.file}: {problems[0]}"
                                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                                problems, where=self.file,
                                hint="check the names and types against the template's `inputs`")
        return resolved

    def expand(self, inputs: dict | None = None, *, builtins: dict | None = None) -> JobGraph:
        """The job graph for run-time ``inputs`` (defaults fill the rest).

        ``builtins`` optionally gives values for ``GCS_REF_PVC`` and friends; without them those
        references stay verbatim, as does any other unknown ``${...}``.
        """
        if self.data is None:
            problem = next((d.message for d in self.parse_diagnostics if d.is_error),
                           "the template is not a mapping")
            raise TemplateError(f"cannot expand template {self.file}: {problem}", where=self.file)
        return expand_data(self.data, self.resolve_inputs(inputs), file=self.file, builtins=builtins)


def parse_template(text: str | bytes, file: str = "<template>") -> Template:
    """Parse template text. Never raises on bad content: problems are in ``parse_diagnostics``."""
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return Template(file, raw, None, [Diagnostic(ERROR, "not-utf8", "file is not valid UTF-8",
                                                         file, line, None, None, "save the file as UTF-8")])
    else:
        raw = text.encode("utf-8")
    documents, diagnostics = load_yaml_text(text, file)
    if len(documents) > 1:
        line = documents[1].where(())[0]
        diagnostics.append(Diagnostic(ERROR, "template-multiple-documents",
                                      "a template must be a single YAML document", file, line, 1,
                                      None, "remove the `---` and everything after it, or split the file"))
    if not documents:
        if not any(d.is_error for d in diagnostics):
            diagnostics.append(Diagnostic(ERROR, "template-empty", "the template file is empty", file,
                                          1, 1, None, "start it with `version: genecontainer_0_1`"))
        return Template(file, raw, None, diagnostics)
    return Template(file, raw, documents[0], diagnostics)


def load_template(path: Path, file: str | None = None) -> Template:
    """Read and parse the template at ``path``; ``file`` is the name shown in diagnostics."""
    shown = file or str(path)
    try:
        raw = read_regular_file(Path(path))
    except OSError as exc:
        return Template(shown, b"", None, [Diagnostic(
            ERROR, "unreadable-file", f"cannot read template: {exc.strerror}", shown,
            hint="check the file's permissions, or where its symbolic link points")])
    return parse_template(raw, shown)
