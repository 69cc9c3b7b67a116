"""Executions and ExecutionSets: defaults merged in, workflow and inputs checked, sets expanded."""

from __future__ import annotations

from pathlib import Path

from gcsapply.diagnostics import Diagnostic, excerpt_list, quote
from gcsapply.kinds import ExecutionSet
from gcsapply.manifest.expand import expand_set
from gcsapply.manifest.inputs import check_inputs, placeholder_columns
from gcsapply.manifest.merge import MergedSpec
from gcsapply.manifest.model import ExecutionSpec, Source
from gcsapply.manifest.paths import PATH_LIMIT, name_path
from gcsapply.manifest.reads import FilesRead
from gcsapply.manifest.samples import inline_sample_sheet, read_sample_file
from gcsapply.manifest.schema import SchemaResult, did_you_mean
from gcsapply.manifest.specs import build_execution_spec
from gcsapply.template.values import walk_strings
from gcsapply.yamlio import YamlDocument


class RunBuilder:
    """Collects member and plain Executions, their addresses and problems."""

    def __init__(self, root: Path, defaults: dict | None, defaults_document: YamlDocument | None,
                 templates: dict, addresses: dict, *, files: FilesRead):
        self.root = root
        self.defaults = defaults
        self.defaults_document = defaults_document
        self.templates = templates  # Workflow name -> Template or None
        self.addresses = addresses  # address -> declaring document (from the manifests)
        self.files = files  # sample sheets are read through it (their digests kept)
        self.executions: dict[str, ExecutionSpec] = {}
        self.sets: dict[str, tuple[str, ...]] = {}
        self.diagnostics: list[Diagnostic] = []

    def add_execution(self, document: YamlDocument, result: SchemaResult) -> None:
        """Check one Execution; build it when the whole document is sound."""
        spec = MergedSpec.build(document, ("spec",), self.defaults, self.defaults_document)
        ok, template = self._check_workflow(spec, result, ("spec",))
        if not result.usable(("spec", "inputs")):
            return
        for path, text in walk_strings(spec.data.get("inputs", {}), ("inputs",)):
            if any(placeholder_columns(text)):
                self.diagnostics.append(spec.diagnostic(
                    path, "placeholder-outside-set", "{{ ... }} placeholders only work in an ExecutionSet",
                    hint="write the value itself, or use an ExecutionSet over a sample sheet"))
                ok = False
        inputs, problems = check_inputs(spec.data.get("inputs") or {}, template if ok else None, spec)
        self.diagnostics.extend(problems)
        if not ok or problems or not result.valid:
            return
        name = document.data["metadata"]["name"]
        execution = build_execution_spec(spec.data, name=name, inputs=inputs,
                                         source=Source(document.file, *document.where(())),
                                         positions=spec.positions())
        self.executions[execution.address] = execution

    def add_set(self, document: YamlDocument, result: SchemaResult) -> None:
        """Check one ExecutionSet and its sample sheet; expand it when everything is sound."""
        prefix = ("spec", "template")
        spec = MergedSpec.build(document, prefix, self.defaults, self.defaults_document)
        ok, template = self._check_workflow(spec, result, prefix)
        inputs, problems = {}, []
        if result.usable(prefix + ("inputs",)):
            inputs, problems = check_inputs(spec.data.get("inputs") or {}, template if ok else None,
                                            spec, rows=True)
            self.diagnostics.extend(problems)
        if not result.usable(("metadata", "name"), ("spec", "samples"), ("spec", "key")):
            return
        sheet = self._sheet(document)
        if sheet is None:
            return
        set_name = document.data["metadata"]["name"]
        key_column = document.data["spec"]["key"]
        sound = ok and not problems and result.valid
        expansion = expand_set(set_name, key_column, spec, inputs, sheet, template if ok else None,
                               build=sound)
        self.diagnostics.extend(expansion.diagnostics)
        if not sound or expansion.diagnostics:
            return
        members = []
        for member, row in expansion.members:
            first = self.addresses.get(member.address)
            if first is not None:
                where = f"{first.file}:{first.where(('metadata', 'name'))[0]}"
                self.diagnostics.append(sheet.diagnostic(
                    row, "duplicate-address",
                    f"member {member.address} of executionset/{set_name} collides with the "
                    f"Execution declared in {where}", "rename the Execution or the set"))
                continue
            self.addresses[member.address] = document
            self.executions[member.address] = member
            members.append(member.address)
        self.sets[ExecutionSet.address(set_name)] = tuple(members)

    def _check_workflow(self, spec: MergedSpec, result: SchemaResult, prefix: tuple):
        """``(ok, Template or None)``: the workflow is set and names a Workflow of this stack."""
        if not result.usable(prefix + ("workflow",)):
            return False, None
        workflow = spec.data.get("workflow")
        if workflow is None:
            self.diagnostics.append(spec.diagnostic(
                (), "missing-key", "missing required key 'workflow'",
                hint="name a Workflow of this stack, or give {id: <uuid>}", at_key=True))
            return False, None
        if isinstance(workflow, dict):
            return True, None  # a workflow this stack does not manage: plan checks it
        if workflow not in self.templates:
            known = sorted(self.templates)
            suggestion = did_you_mean(workflow, known)
            listed = f"Workflows in this stack: {excerpt_list(known)}" if known else "this stack has no Workflow"
            self.diagnostics.append(spec.diagnostic(
                ("workflow",), "unknown-workflow", f"no Workflow named {quote(workflow)} in this stack",
                hint=f"{suggestion} ({listed})" if suggestion else listed))
            return False, None
        return True, self.templates[workflow]

    def _sheet(self, document: YamlDocument):
        samples = document.data["spec"]["samples"]
        if isinstance(samples, list):
            return inline_sample_sheet(document, ("spec", "samples"))
        named = name_path(self.root, document.file, samples)
        if named.refused:
            self.diagnostics.append(document.diagnostic(
                ("spec", "samples"), named.code, named.message("sample sheet"), hint=named.hint))
            return None
        if named.problem:
            self.diagnostics.append(document.diagnostic(
                ("spec", "samples"), "missing-sample-sheet", f"sample sheet {quote(named.shown, PATH_LIMIT)} "
                f"{named.problem}", hint=f"paths are relative to the folder of {document.file}"))
            return None
        sheet, problems = read_sample_file(named.path, named.shown, files=self.files)
        self.diagnostics.extend(problems)
        return sheet
