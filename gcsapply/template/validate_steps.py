"""Step rules of the §10 checklist: names, type, tool, commands, commands_iter, built-in
functions, conditions, depends and the dependency graph (items 3, 4, 10-21)."""

from __future__ import annotations

import re

from gcsapply.diagnostics import excerpt, excerpt_list, quote
from gcsapply.template.calls import parse_call
from gcsapply.template.checker import Checker, chain_text, suggest_name
from gcsapply.template.graph import ITERATE, MAX_STEP_CONTAINERS, WHOLE, find_cycles
from gcsapply.template.validate_calls import (
    check_condition,
    check_misplaced_calls,
    check_range,
    check_result_call,
    find_split_calls,
    report_split_call,
)
from gcsapply.template.values import (
    POSITIONAL_RE,
    parse_cpu,
    parse_memory,
    render_value,
    substitute,
    variable_names,
    whole_variable,
)

STEP_KEYS = ("description", "type", "tool", "resources", "commands", "commands_iter",
             "condition", "depends")
RESOURCE_KEYS = ("cpu", "memory")
COMMANDS_ITER_KEYS = ("command", "vars", "vars_iter")
DEPEND_KEYS = ("target", "type")
STEP_TYPE = "GCS.Job"
STEP_NAME_DOC = re.compile(r"^[a-z][-a-z0-9]{0,39}$")
STEP_NAME_STRICT = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
TOOL = re.compile(r"^[^:\s]+:[^:\s]+$")


def check_steps(c: Checker, data: dict) -> None:
    if "workflow" not in data:
        c.error((), "workflow-missing", "the template has no `workflow`",
                "add `workflow:` with at least one step")
        return
    workflow = data["workflow"]
    if not isinstance(workflow, dict):
        c.error(("workflow",), "workflow-not-mapping", "`workflow` must be a mapping of step name -> step",
                "write `workflow:` followed by indented `step-name: {tool: ..., commands: [...]}`")
        return
    if not workflow:
        c.error(("workflow",), "workflow-empty", "`workflow` defines no steps",
                "add at least one step", at_key=True)
    for name, body in workflow.items():
        _check_step(c, str(name), body, workflow)
    _check_cycles(c, workflow)
    check_misplaced_calls(c, data)


def check_iteration(c: Checker, path: tuple, spec: dict, template_key: str, step: str | None,
                    body: dict | None = None) -> None:
    """``vars`` / ``vars_iter`` of a commands_iter or paths_iter (rules 15-18)."""
    widths = _check_vars(c, path, spec.get("vars"))
    positions = None
    vars_iter = spec.get("vars_iter")
    if vars_iter is not None and not isinstance(vars_iter, list):
        c.error(path + ("vars_iter",), "vars-iter-not-list",
                "vars_iter must be a list of value lists", "write `vars_iter: [[a, b], range(0, 3)]`")
    elif isinstance(vars_iter, list):
        positions = len(vars_iter)
        pieces: set[int] = set()  # elements that are pieces of a call cut at its commas
        for first, last, call in find_split_calls(vars_iter) if c.strict else ():
            report_split_call(c, path + ("vars_iter", first), vars_iter, first, last, call)
            _check_iter_element(c, path + ("vars_iter", first), call, step, body)
            pieces.update(range(first, last + 1))
            positions -= last - first  # count the positions the author meant
        for index, element in enumerate(vars_iter):
            if index not in pieces:
                _check_iter_element(c, path + ("vars_iter", index), element, step, body)
    if widths and positions is not None and spec.get("vars_iter") and any(w != positions for w in widths):
        c.error(path + ("vars",), "vars-width-mismatch",
                f"vars rows have {sorted(widths)[0]} values but vars_iter has {positions} lists",
                "each vars row must give one value per vars_iter list", doc=False)
    if positions is None or not vars_iter:
        positions = max(widths) if widths else None
    template = spec.get(template_key)
    if isinstance(template, str) and positions is not None:
        used = [int(n) for n in variable_names(template) if POSITIONAL_RE.match(n)]
        if used and max(used) > positions:
            c.error(path + (template_key,), "positional-out-of-range",
                    f"${{{max(used)}}} is used but there are only {positions} positions",
                    f"positions come from the {'vars_iter lists' if vars_iter else 'vars row width'}; "
                    f"use ${{1}}..${{{positions}}}", doc=False)


def _check_step(c: Checker, name: str, body, workflow: dict) -> None:
    path = ("workflow", name)
    if not STEP_NAME_DOC.match(name) or (c.strict and not STEP_NAME_STRICT.match(name)):
        c.error(path, "step-name-invalid",
                f"step name {quote(name)} must start with a lowercase letter, use only a-z, 0-9 and '-', "
                "end with a letter or digit, and be at most 40 characters",
                f"rename it, e.g. `{excerpt(_fix_step_name(name))}`", at_key=True)
    if not isinstance(body, dict):
        c.error(path, "step-not-mapping", f"step {quote(name)} must be a mapping with `tool` and `commands`",
                f"write `{excerpt(name)}: {{type: GCS.Job, tool: name:version, commands: [...]}}`", at_key=True)
        return
    c.unknown_keys(body, path, STEP_KEYS, f"step {quote(name)}")
    if "type" not in body:
        c.warning(path, "step-type-missing", f"step {quote(name)} has no `type`; treated as {STEP_TYPE}",
                  f"add `type: {STEP_TYPE}`", at_key=True)
    elif body["type"] != STEP_TYPE:
        c.error(path + ("type",), "step-type-invalid",
                f"step type {quote(render_value(body['type']))} is not supported; GCS runs only {STEP_TYPE}",
                f"write `type: {STEP_TYPE}`")
    _check_tool(c, name, body, path)
    description = body.get("description")
    if isinstance(description, str) and len(description) > 255:
        c.warning(path + ("description",), "step-description-too-long",
                  f"description of step {quote(name)} is {len(description)} characters; GCS documents "
                  "at most 255", "shorten the description; the console may reject or cut it", doc=True)
    _check_resources(c, name, body.get("resources"), path)
    _check_commands(c, name, body, path)
    if "condition" in body:
        check_condition(c, name, body, path + ("condition",), workflow)
    _check_depends(c, name, body.get("depends"), path + ("depends",), workflow)


def _check_tool(c: Checker, name: str, body: dict, path: tuple) -> None:
    tool = body.get("tool")
    if tool is None or tool == "":
        c.error(path + ("tool",) if "tool" in body else path, "tool-missing",
                f"step {quote(name)} has no `tool`", "add `tool: name:version`, e.g. `tool: bwa:0.7.12`",
                at_key=True)
    elif not isinstance(tool, str):
        c.error(path + ("tool",), "tool-format", f"tool of step {quote(name)} must be a string name:version",
                f"write `tool: \"{excerpt(render_value(tool))}\"` with a version")
    elif "${" in tool:
        c.error(path + ("tool",), "tool-variable", f"tool of step {quote(name)} must be literal, not {quote(tool)}",
                "write the tool name and version out, e.g. `tool: bwa:0.7.12`")
    elif not TOOL.match(tool):
        c.error(path + ("tool",), "tool-format", f"tool {quote(tool)} of step {quote(name)} is not name:version",
                f"write `tool: {excerpt(tool.strip() or 'name')}:<version>`")


def _check_resources(c: Checker, name: str, resources, path: tuple) -> None:
    if resources is None:
        return
    path = path + ("resources",)
    if not isinstance(resources, dict):
        c.error(path, "resources-not-mapping", f"resources of step {quote(name)} must be a mapping",
                "write `resources: {cpu: 2c, memory: 8G}`")
        return
    c.unknown_keys(resources, path, RESOURCE_KEYS, f"resources of step {quote(name)}",
                   {"gpu": "the GCS template grammar has no `gpu` resource; only cpu and memory"})
    for key, parse, example in (("cpu", parse_cpu, "2c or 0.5"), ("memory", parse_memory, "8G or 1.5g")):
        if resources.get(key) is None:
            continue
        text = substitute(render_value(resources[key]),
                          {n: render_value(v) for n, v in c.defaults.items()})
        if "${" not in text and parse(text) is None:
            c.error(path + (key,), f"resource-{key}-format",
                    f"{key} {quote(text)} of step {quote(name)} is not a number with an optional unit",
                    f"write e.g. `{key}: {example.split(' or ')[0]}` ({example})", doc=False)


def _check_commands(c: Checker, name: str, body: dict, path: tuple) -> None:
    commands, spec = body.get("commands"), body.get("commands_iter")
    if commands is not None:
        if not isinstance(commands, list):
            c.error(path + ("commands",), "commands-not-list", f"commands of step {quote(name)} must be a list",
                    "write `commands:` followed by `- <shell command>` lines")
        else:
            for index, command in enumerate(commands):
                if not isinstance(command, str):
                    c.error(path + ("commands", index), "command-not-string",
                            f"command {index} of step {quote(name)} must be a string",
                            "quote it, or use `- |` for a multi-line command")
    has_commands = isinstance(commands, list) and bool(commands)
    if not has_commands and spec is None:
        c.error(path, "commands-missing", f"step {quote(name)} has neither `commands` nor `commands_iter`",
                "add `commands: [<shell command>]`", at_key=True)
    if has_commands and spec is not None:
        c.warning(path + ("commands_iter",), "commands-and-commands-iter",
                  f"step {quote(name)} has both `commands` and `commands_iter`",
                  "both run: plain commands first, then the iterated ones; prefer one", at_key=True)
    if spec is not None:
        _check_commands_iter(c, name, spec, path + ("commands_iter",), body)


def _check_commands_iter(c: Checker, name: str, spec, path: tuple, body: dict) -> None:
    if not isinstance(spec, dict):
        c.error(path, "commands-iter-not-mapping",
                f"commands_iter of step {quote(name)} must be a mapping with `command` and `vars_iter`",
                "write `commands_iter: {command: \"echo ${1}\", vars_iter: [[a, b]]}`")
        return
    c.unknown_keys(spec, path, COMMANDS_ITER_KEYS, f"commands_iter of step {quote(name)}")
    command = spec.get("command")
    has_vars = bool(spec.get("vars")) or bool(spec.get("vars_iter"))
    if command is not None and not isinstance(command, str):
        c.error(path + ("command",), "command-not-string",
                f"commands_iter.command of step {quote(name)} must be a string",
                "quote it, or use `command: |` for a multi-line command")
    if command in (None, "") and has_vars:
        c.error(path, "commands-iter-incomplete",
                f"commands_iter of step {quote(name)} has vars but no `command`",
                "add `command:` using ${1}, ${2}, ... for the values", doc=False, at_key=True)
    elif command not in (None, "") and not has_vars:
        c.error(path, "commands-iter-incomplete",
                f"commands_iter of step {quote(name)} has a `command` but no `vars` or `vars_iter`",
                "add `vars_iter:` with the lists of values to iterate over", doc=False, at_key=True)
    elif command in (None, "") and not has_vars and not body.get("commands"):
        c.error(path, "commands-missing", f"commands_iter of step {quote(name)} is empty",
                "give it `command:` and `vars_iter:`", at_key=True)
    check_iteration(c, path, spec, "command", name, body)
    width = c.widths.get(name)
    if width is not None and width > MAX_STEP_CONTAINERS:
        c.error(path, "step-too-many-containers",
                f"step {quote(name)} expands to {width} containers; at most {MAX_STEP_CONTAINERS} per step",
                "use fewer or shorter vars_iter lists", doc=False, at_key=True)


def _check_vars(c: Checker, path: tuple, rows) -> list[int]:
    """Rows of ``vars``; returns the known row widths."""
    if rows is None:
        return []
    if not isinstance(rows, list):
        c.error(path + ("vars",), "vars-not-list", "vars must be a list of rows",
                "write `vars: [[a, 1], [b, 2]]`")
        return []
    widths: list[int] = []
    first_width = None
    for index, row in enumerate(rows):
        row_path = path + ("vars", index)
        name = whole_variable(row)
        if name is not None and c.input_type(name) == "array":
            row = c.defaults.get(name)
            if not isinstance(row, list):
                continue
        elif not isinstance(row, list):
            c.error(row_path, "vars-row-not-list", f"vars row {index} must be a list of values",
                    f"write `- [{excerpt(render_value(row))}]`", doc=False)
            continue
        elif any(isinstance(member, (list, dict)) for member in row):
            c.error(row_path, "vars-nested-list", f"vars row {index} contains a nested list or mapping",
                    "row members must be single values (string, number, bool)", doc=False)
        widths.append(len(row))
        if first_width is None:
            first_width = len(row)
        elif len(row) != first_width:
            c.error(row_path, "vars-row-width",
                    f"vars row {index} has {len(row)} values but row 0 has {first_width}",
                    "every vars row must have the same number of values", doc=False)
    return widths


def _check_iter_element(c: Checker, path: tuple, element, step, body) -> None:
    if isinstance(element, list):
        if any(isinstance(member, (list, dict)) for member in element):
            c.error(path, "vars-nested-list", "a vars_iter list contains a nested list or mapping",
                    "list members must be single values", doc=False)
        return
    name = whole_variable(element)
    if name is not None:
        kind = c.input_type(name)
        if kind is not None and kind != "array":
            c.error(path, "vars-iter-not-array-input",
                    f"vars_iter element ${{{excerpt(name)}}} is a {excerpt(kind)} input, not an array",
                    f"declare `{excerpt(name)}` with `type: array`, or write a literal list", doc=False)
        return
    call = parse_call(element)
    if call is not None and call.name == "range":
        check_range(c, path, call)
        return
    if call is not None and call.name == "get_result":
        check_result_call(c, path, call, step, body, "get_result", "separator")
        return
    c.error(path, "vars-iter-element",
            f"vars_iter element {quote(render_value(element))} is not a list, an array input, "
            "range(...) or get_result(...)",
            f"write `- [{excerpt(render_value(element))}]` for a single value", doc=False)


def _check_depends(c: Checker, name: str, depends, path: tuple, workflow: dict) -> None:
    if depends is None:
        return
    if not isinstance(depends, list):
        c.error(path, "depends-not-list", f"depends of step {quote(name)} must be a list",
                "write `depends: [{target: other-step, type: whole}]`")
        return
    widths = c.widths
    for index, entry in enumerate(depends):
        entry_path = path + (index,)
        if not isinstance(entry, dict):
            c.error(entry_path, "depends-entry-invalid", f"depends[{index}] of step {quote(name)} must be a "
                    "mapping with `target`", f"write `- {{target: {render_value(entry)}}}`")
            continue
        c.unknown_keys(entry, entry_path, DEPEND_KEYS, f"depends[{index}] of step {quote(name)}")
        target, kind = entry.get("target"), entry.get("type")
        if target in (None, ""):
            c.error(entry_path, "depends-target-missing", f"depends[{index}] of step {quote(name)} has no target",
                    "add `target: <step name>`")
        elif not isinstance(target, str):
            c.error(entry_path + ("target",), "depends-target-invalid",
                    f"depends[{index}] of step {quote(name)} must name a step, not {quote(render_value(target))}",
                    "write `target: <step name>`")
            continue
        elif "${" in target:
            c.error(entry_path + ("target",), "depends-target-variable",
                    f"depends target {quote(target)} must be a literal step name",
                    "write the step name itself; ${...} is not substituted here", doc=False)
        elif target not in workflow:
            close = suggest_name(str(target), workflow)
            c.error(entry_path + ("target",), "depends-target-unknown",
                    f"step {quote(name)} depends on {quote(render_value(target))}, which is not a step",
                    f"did you mean `{excerpt(close)}`?" if close else "steps: " + excerpt_list(workflow))
        elif _may_be_skipped(workflow[target]) \
                and _condition(workflow[target]) != _condition(workflow.get(name)):
            c.warning(entry_path + ("target",), "depends-on-conditional-step",
                      f"step {quote(name)} depends on {quote(target)}, which is skipped when its "
                      f"condition ({excerpt(render_value(_condition(workflow[target])))}) is "
                      f"false; a skipped step counts as finished, so {quote(name)} is not held "
                      f"back and may run without the results of {quote(target)}",
                      "GCS does not document what follows a skipped step: make "
                      f"{quote(name)} work without those results, or give it the same condition")
        if kind not in (None, "", WHOLE, ITERATE):
            c.error(entry_path + ("type",), "depends-type-invalid",
                    f"dependency type {quote(render_value(kind))} is not `whole` or `iterate`",
                    "write `type: whole` (the default) or `type: iterate`")
        if kind == ITERATE and target in widths:
            mine, theirs = widths.get(name), widths[target]
            if mine is not None and theirs is not None and mine != theirs:
                c.warning(entry_path, "iterate-width-mismatch",
                          f"step {quote(name)} ({mine} containers) iterates over {quote(target)} ({theirs} "
                          "containers); unpaired containers get no edge",
                          "give both steps the same number of containers, or use `type: whole`")


def _condition(body):
    return body.get("condition", True) if isinstance(body, dict) else True


def _may_be_skipped(body) -> bool:
    """A step with a (well-formed) condition other than ``true``."""
    condition = _condition(body)
    if isinstance(condition, bool):
        return not condition
    call = parse_call(condition)
    return whole_variable(condition) is not None or (call is not None
                                                     and call.name == "check_result")


def _check_cycles(c: Checker, workflow: dict) -> None:
    edges = {}
    for name, body in workflow.items():
        depends = body.get("depends") if isinstance(body, dict) else None
        edges[name] = [(i, d["target"]) for i, d in enumerate(depends if isinstance(depends, list) else [])
                       if isinstance(d, dict) and isinstance(d.get("target"), str)]
    for node, index, cycle in find_cycles(edges):
        c.error(("workflow", node, "depends", index), "dependency-cycle",
                "steps depend on each other in a cycle: " + chain_text(cycle),
                "remove one of these dependencies")


def _fix_step_name(name: str) -> str:
    fixed = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if not fixed or not fixed[0].isalpha():
        fixed = "step-" + fixed
    return fixed[:40].rstrip("-")
