"""Static validation of a template: the grammar reference §10 checklist, items 1-7 and 9-25.

``strict=True`` (``gcsapply validate``/``plan``) applies every rule. ``strict=False`` (the
emulator, like the service) applies only the rules the Huawei documentation states ([DOC]).
Tools are never checked against a catalogue here; plan does that against the live one.
This module holds the document-level rules, inputs, variables, volumes and outputs; the step
rules live in :mod:`gcsapply.template.validate_steps`.
"""

from __future__ import annotations

import re

from gcsapply.diagnostics import Diagnostic, excerpt, quote, sort_diagnostics
from gcsapply.template.checker import Checker, chain_text, suggest_name
from gcsapply.template.expand import static_widths
from gcsapply.template.inputs import default_values, find_default_cycles, read_inputs
from gcsapply.template.validate_steps import check_iteration, check_steps
from gcsapply.template.values import (
    BUILTIN_PVCS,
    INPUT_TYPES,
    ITEM,
    POSITIONAL_RE,
    describe,
    render_value,
    substitute,
    type_problem,
    variable_names,
    walk_strings,
)
from gcsapply.yamlio import YamlDocument

VERSION = "genecontainer_0_1"
TOP_KEYS = ("version", "inputs", "workflow", "volumes", "outputs", "metadata")
INPUT_KEYS = ("type", "default", "description", "label")
VOLUME_KEYS = ("mount_path", "mount_from", "only_to")
MOUNT_FROM_KEYS = ("pvc", "sub_path")
OUTPUT_KEYS = ("paths", "paths_iter")
PATHS_ITER_KEYS = ("path", "vars_iter", "vars")
MAX_INPUTS = 60
INPUT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_TYPE_HINTS = {"integer": "number", "int": "number", "float": "number", "double": "number",
               "boolean": "bool", "list": "array", "str": "string", "text": "string"}
# where ${...} is not substituted, or has its own rule: no undefined-variable check there
_LITERAL_KEYS = {"tool", "description", "label", "type", "target", "version", "metadata"}


def validate_document(document: YamlDocument, strict: bool = True) -> list[Diagnostic]:
    """Every problem in a parsed template, sorted by position."""
    data = document.data
    if not isinstance(data, dict):
        return [document.diagnostic((), "template-not-mapping",
                                    "the top level of a template must be a mapping",
                                    hint="start the file with `version: genecontainer_0_1`")]
    inputs = read_inputs(data)
    defaults = default_values(inputs)
    widths = static_widths(data, defaults) if isinstance(data.get("workflow"), dict) else {}
    checker = Checker(document, strict, inputs, defaults, widths)
    checker.unknown_keys(data, (), TOP_KEYS, "the template's top level")
    _check_version(checker, data)
    _check_inputs(checker, data.get("inputs"))
    check_steps(checker, data)
    _check_volumes(checker, data.get("volumes"), data.get("workflow"))
    _check_outputs(checker, data.get("outputs"))
    _check_variables(checker, data)
    return sort_diagnostics(checker.diagnostics)


def _check_version(c: Checker, data: dict) -> None:
    if "version" not in data:
        c.error((), "version-missing", "the template has no `version`",
                f"add `version: {VERSION}` at the top")
    elif data["version"] != VERSION:
        c.error(("version",), "version-unsupported",
                f"unsupported version {quote(render_value(data['version']))}; GCS accepts only {VERSION!r}",
                f"write `version: {VERSION}`")


def _check_inputs(c: Checker, inputs) -> None:
    if inputs is None:
        return
    if not isinstance(inputs, dict):
        c.error(("inputs",), "inputs-not-mapping", "`inputs` must be a mapping of name -> input",
                "write `inputs:` followed by indented `name: {type: ..., default: ...}` entries")
        return
    if len(inputs) > MAX_INPUTS:
        c.error(("inputs",), "too-many-inputs",
                f"the template declares {len(inputs)} inputs; GCS allows at most {MAX_INPUTS}",
                "group related values into an `array` input", at_key=True)
    for name, body in inputs.items():
        path = ("inputs", name)
        if not INPUT_NAME.match(str(name)):
            c.error(path, "input-name-invalid",
                    f"input name {quote(name)} must be 1-20 letters, digits, '-' or '_'",
                    "rename the input (and every `${...}` that uses it)", at_key=True)
        if not isinstance(body, dict):
            c.error(path, "input-not-mapping", f"input {quote(name)} must be a mapping with a `type`",
                    f"write `{excerpt(name)}: {{type: string, default: ...}}`", at_key=True)
            continue
        c.unknown_keys(body, path, INPUT_KEYS, f"input {quote(name)}")
        _check_input(c, name, body, path)
    for cycle in find_default_cycles(c.inputs):
        c.error(("inputs", cycle[0], "default"), "input-default-cycle",
                "input defaults reference each other in a cycle: "
                + chain_text(cycle, "${{{}}}"),
                "give one of these inputs a literal default", doc=False)


def _check_input(c: Checker, name, body: dict, path: tuple) -> None:
    type_name = body.get("type")
    if "type" not in body:
        c.error(path, "input-type-missing", f"input {quote(name)} has no `type`",
                "add `type:` with one of string, number, bool, array", at_key=True)
    elif type_name not in INPUT_TYPES:
        better = _TYPE_HINTS.get(str(type_name).lower())
        c.error(path + ("type",), "input-type-invalid",
                f"input {quote(name)} has type {quote(render_value(type_name))}; "
                "allowed types are string, number, bool, array",
                f"write `type: {better}`" if better else "use one of string, number, bool, array")
    elif "default" in body:
        default = body["default"]
        problem = type_problem(default, type_name)
        if problem:
            hint = (f"write the default without quotes: `default: {excerpt(default)}`"
                    if isinstance(default, str) and type_name in ("number", "bool") else
                    f"give a default of type {excerpt(type_name)}, or change `type`")
            c.error(path + ("default",), "input-default-type",
                    f"default of input {quote(name)} does not match its type: {problem}", hint)
    description, label = body.get("description"), body.get("label")
    if isinstance(description, str) and len(description) > 255:
        # a warning, not an error: real templates (kubegene's GATK example) exceed it
        c.warning(path + ("description",), "input-description-too-long",
                  f"description of input {quote(name)} is {len(description)} characters; GCS documents "
                  "at most 255", "shorten the description; the console may reject or cut it", doc=True)
    if isinstance(label, str) and len(label) > 64:
        c.error(path + ("label",), "input-label-too-long",
                f"label of input {quote(name)} is {len(label)} characters; at most 64 allowed",
                "shorten the label (it names a group on the console's configuration tab)")


def _check_volumes(c: Checker, volumes, workflow) -> None:
    if volumes is None:
        return
    if not isinstance(volumes, dict):
        c.error(("volumes",), "volumes-not-mapping", "`volumes` must be a mapping of name -> volume",
                "write `volumes:` followed by indented `name: {mount_path: /data, mount_from: {pvc: ...}}`")
        return
    steps = set(workflow) if isinstance(workflow, dict) else set()
    seen: dict[str, tuple] = {}  # mount path -> (volume, steps or None for all)
    for name, body in volumes.items():
        path = ("volumes", name)
        if not isinstance(body, dict):
            c.error(path, "volume-not-mapping", f"volume {quote(name)} must be a mapping",
                    "give it `mount_path:` and `mount_from: {pvc: ...}`", at_key=True)
            continue
        c.unknown_keys(body, path, VOLUME_KEYS, f"volume {quote(name)}")
        mount = body.get("mount_path")
        if mount is None or mount == "":
            c.error(path, "volume-mount-path-missing", f"volume {quote(name)} has no `mount_path`",
                    "add the absolute path the volume is mounted at, e.g. `mount_path: /data`",
                    at_key=True)
        else:
            mount = _with_defaults(c, mount)
            if not mount.startswith("/") and "${" not in mount:
                c.error(path + ("mount_path",), "volume-mount-path-relative",
                        f"mount_path {quote(mount)} of volume {quote(name)} is not an absolute path",
                        f"write `mount_path: /{excerpt(mount)}`", doc=False)
            if ":" in mount:
                c.error(path + ("mount_path",), "volume-mount-path-colon",
                        f"mount_path {quote(mount)} of volume {quote(name)} contains ':'",
                        "Kubernetes forbids ':' in mount paths", doc=False)
        source = body.get("mount_from")
        if not isinstance(source, dict) or source.get("pvc") in (None, ""):
            where = path + ("mount_from",) if isinstance(source, dict) else path
            c.error(where, "volume-pvc-missing", f"volume {quote(name)} has no `mount_from.pvc`",
                    "name an existing PVC or a built-in such as ${GCS_SFS_PVC}", at_key=True)
        elif not isinstance(source["pvc"], str):
            c.error(path + ("mount_from", "pvc"), "volume-pvc-invalid",
                    f"mount_from.pvc of volume {quote(name)} must be a PVC name, not {describe(source['pvc'])}",
                    "name an existing PVC or a built-in such as ${GCS_SFS_PVC}")
        if isinstance(source, dict):
            c.unknown_keys(source, path + ("mount_from",), MOUNT_FROM_KEYS, f"volume {quote(name)} mount_from")
            sub = source.get("sub_path")
            if isinstance(sub, str) and _with_defaults(c, sub).startswith("/"):
                c.error(path + ("mount_from", "sub_path"), "volume-sub-path-absolute",
                        f"sub_path {quote(sub)} of volume {quote(name)} must be relative",
                        f"write `sub_path: {excerpt(sub.lstrip('/'))}`")
        only_to = _check_only_to(c, name, body.get("only_to"), path, steps)
        if isinstance(mount, str) and mount:
            _check_duplicate_mount(c, seen, name, mount, only_to, path)


def _check_only_to(c: Checker, name, only_to, path: tuple, steps: set):
    if only_to is None:
        return None
    if not isinstance(only_to, list):
        c.error(path + ("only_to",), "volume-only-to-not-list",
                f"only_to of volume {quote(name)} must be a list of step names",
                f"write `only_to: [{excerpt(render_value(only_to))}]`")
        return None
    for index, step in enumerate(only_to):
        if not isinstance(step, str) or step not in steps:
            c.error(path + ("only_to", index), "volume-only-to-unknown",
                    f"only_to of volume {quote(name)} names {quote(render_value(step))}, which is not a step",
                    "steps: " + ", ".join(sorted(map(str, steps))), doc=False)
    return set(map(str, only_to)) or None


def _check_duplicate_mount(c: Checker, seen: dict, name, mount: str, only_to, path) -> None:
    key = mount.rstrip("/") or "/"
    if key in seen:
        other, other_steps = seen[key]
        if only_to is None or other_steps is None or only_to & other_steps:
            c.error(path + ("mount_path",), "volume-mount-path-duplicate",
                    f"volumes {quote(other)} and {quote(name)} are both mounted at {quote(mount)} in the same step",
                    "give each volume its own mount_path, or split them with only_to", doc=False)
            return
    seen[key] = (name, only_to)


def _check_outputs(c: Checker, outputs) -> None:
    if outputs is None:
        return
    if not isinstance(outputs, dict):
        c.error(("outputs",), "outputs-not-mapping", "`outputs` must be a mapping of name -> output",
                "write `outputs:` followed by indented `name: {paths: [file, ...]}`")
        return
    for name, body in outputs.items():
        path = ("outputs", name)
        if not isinstance(body, dict):
            c.error(path, "output-not-mapping", f"output {quote(name)} must be a mapping with `paths`",
                    f"write `{excerpt(name)}: {{paths: [file, ...]}}`", at_key=True)
            continue
        c.unknown_keys(body, path, OUTPUT_KEYS, f"output {quote(name)}",
                       {"path": "did you mean `paths`? It takes a list: `paths: [file, ...]`"})
        has_paths, has_iter = "paths" in body, "paths_iter" in body
        if not has_paths and not has_iter:
            c.error(path, "output-paths-missing", f"output {quote(name)} has neither `paths` nor `paths_iter`",
                    "list the result files under `paths:`" + (" (not `path:`)" if "path" in body else ""),
                    at_key=True)
        if has_paths and has_iter:
            c.warning(path, "output-paths-both", f"output {quote(name)} has both `paths` and `paths_iter`",
                      "the documentation says to choose one; both lists are concatenated", at_key=True)
        if has_paths and not isinstance(body["paths"], list):
            c.error(path + ("paths",), "output-paths-not-list", f"paths of output {quote(name)} must be a list",
                    f"write `paths: [{excerpt(render_value(body['paths']))}]`")
        spec = body.get("paths_iter")
        if has_iter:
            _check_paths_iter(c, name, spec, path + ("paths_iter",))


def _check_paths_iter(c: Checker, name, spec, path: tuple) -> None:
    if not isinstance(spec, dict):
        c.error(path, "output-paths-iter-incomplete",
                f"paths_iter of output {quote(name)} must be a mapping with `path` and `vars_iter`",
                "write `paths_iter: {path: \"${1}.vcf\", vars_iter: [[a, b]]}`")
        return
    c.unknown_keys(spec, path, PATHS_ITER_KEYS, f"paths_iter of output {quote(name)}")
    missing = [k for k in ("path", "vars_iter") if k not in spec]
    if missing:
        c.error(path, "output-paths-iter-incomplete",
                f"paths_iter of output {quote(name)} has no `{'` or `'.join(missing)}`",
                "paths_iter needs `path:` (using ${1}, ...) and `vars_iter:` (lists of values)",
                at_key=True)
    if "path" in spec and not isinstance(spec["path"], str):
        c.error(path + ("path",), "output-path-not-string",
                f"paths_iter.path of output {quote(name)} must be a string (one path using ${{1}}, ...)",
                "for several fixed files use `paths: [...]`")
    check_iteration(c, path, spec, "path", None)


def _check_variables(c: Checker, data: dict) -> None:
    """Rule 22 (undefined names) and the placement of ``${n}`` / ``${item}`` (rule 15)."""
    for path, text in walk_strings(data):
        if not text or "${" not in text or _is_literal_place(path):
            continue
        iterated = _is_iterated_template(path)
        for name in dict.fromkeys(variable_names(text)):
            if POSITIONAL_RE.match(name):
                if not iterated:
                    c.error(path, "positional-outside-iteration",
                            f"${{{excerpt(name)}}} is only defined inside commands_iter.command or "
                            "paths_iter.path", "move the value into an iterated command", doc=False)
            elif name == ITEM:
                if not iterated:
                    c.warning(path, "item-outside-iteration",
                              "${item} is only defined inside commands_iter.command; "
                              "here it stays verbatim", "use commands_iter to number containers")
            elif name not in c.inputs and name not in BUILTIN_PVCS:
                c.error(path, "undefined-variable", f"undefined variable ${{{excerpt(name)}}}",
                        _undefined_hint(c, name), doc=False)


def _is_literal_place(path: tuple) -> bool:
    """Places whose ``${...}`` is not substituted, or is checked by a rule of its own."""
    if len(path) == 3 and path[0] == "workflow" and path[2] == "condition":
        return True
    return bool(path) and (path[0] in ("version", "metadata") or
                           (isinstance(path[-1], str) and path[-1] in _LITERAL_KEYS
                            and not (path[0] == "inputs" and path[-1] == "default")))


def _is_iterated_template(path: tuple) -> bool:
    return (len(path) == 4 and path[0] == "workflow" and path[2:] == ("commands_iter", "command")) or \
           (len(path) == 4 and path[0] == "outputs" and path[2:] == ("paths_iter", "path"))


def _undefined_hint(c: Checker, name: str) -> str:
    close = suggest_name(name, list(c.inputs) + [ITEM, *BUILTIN_PVCS[:3]])
    if close:
        return f"did you mean ${{{excerpt(close)}}}?"
    return ("declare it under `inputs`; for a shell variable write $NAME without braces "
            "(${...} is reserved for template variables)")


def _with_defaults(c: Checker, value) -> str:
    return substitute(render_value(value), {n: render_value(v) for n, v in c.defaults.items()})
