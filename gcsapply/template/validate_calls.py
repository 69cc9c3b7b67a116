"""Rules for the grammar's built-in functions and conditions (checklist items 17-19):
``range``, ``get_result``, ``check_result``, where each may appear, and a call that a YAML
flow list cut at its commas (``vars_iter: [range(0, 3)]``)."""

from __future__ import annotations

import re

from gcsapply.diagnostics import excerpt, quote
from gcsapply.template.calls import parse_call
from gcsapply.template.checker import Checker, suggest_name
from gcsapply.template.expand import range_length
from gcsapply.template.graph import MAX_STEP_CONTAINERS, WHOLE
from gcsapply.template.values import parse_integer, render_value, walk_strings, whole_variable

_CONDITION_FORMS = 'write `true`, `false`, `${bool-input}` or `check_result(step, "expected")`'


def check_condition(c: Checker, name: str, body: dict, path: tuple, workflow: dict) -> None:
    condition = body["condition"]
    if isinstance(condition, bool):
        return
    variable = whole_variable(condition)
    if variable is not None:
        kind = c.input_type(variable)
        if variable not in c.inputs:
            close = suggest_name(variable, c.inputs)
            c.error(path, "condition-input-undefined",
                    f"condition ${{{excerpt(variable)}}} of step {quote(name)} names no declared input",
                    f"did you mean ${{{excerpt(close)}}}?" if close else "declare it under `inputs` with `type: bool`")
        elif kind is not None and kind != "bool":
            c.error(path, "condition-input-type",
                    f"condition ${{{excerpt(variable)}}} of step {quote(name)} is a {excerpt(kind)} input, not a bool",
                    f"declare `{excerpt(variable)}` with `type: bool`", doc=False)
        return
    call = parse_call(condition)
    if call is not None and call.name == "check_result":
        check_result_call(c, path, call, name, body, "check_result", "expected")
        return
    hint = _CONDITION_FORMS
    if call is not None and call.name == "get_result":
        hint = "get_result is only valid inside commands_iter.vars_iter; " + hint
    c.error(path, "condition-invalid",
            f"condition of step {quote(name)} must be a bool, ${{bool-input}} or check_result(...); "
            f"got {quote(render_value(condition))}", hint)


def check_misplaced_calls(c: Checker, data: dict) -> None:
    """range/get_result outside vars_iter, check_result outside condition (rules 17, 18)."""
    for path, text in walk_strings(data):
        call = parse_call(text)
        if call is None:
            continue
        in_vars_iter = len(path) >= 2 and path[-2] == "vars_iter" and isinstance(path[-1], int)
        in_condition = len(path) == 3 and path[0] == "workflow" and path[2] == "condition"
        if call.name in ("range", "get_result") and not in_vars_iter and not in_condition:
            c.error(path, f"{call.name.replace('_', '-')}-misplaced",
                    f"{call.name}(...) is only valid as an element of vars_iter",
                    "move it into `commands_iter.vars_iter`")
        elif call.name == "check_result" and not in_condition:
            c.error(path, "check-result-misplaced", "check_result(...) is only valid in `condition`",
                    'write `condition: check_result(step, "expected")`')


def check_range(c: Checker, path: tuple, call) -> None:
    args = call.args
    if call.error or len(args) not in (2, 3):
        c.error(path, "range-args", f"range needs (begin, end) or (begin, end, step); got {len(args)} "
                "arguments" + (f" ({call.error})" if call.error else ""), "write `range(0, 10)`")
        return
    if len(args) == 3:
        c.warning(path, "range-three-args", "range with a step argument is a kubegene extension",
                  "GCS documents only range(begin, end)")
    numbers = []
    for arg in args:
        name = whole_variable(arg.text)
        if name is not None:
            if c.input_type(name) not in (None, "number"):
                c.error(path, "range-args", f"range argument ${{{excerpt(name)}}} is a {excerpt(c.input_type(name))} "
                        "input, not a number", f"declare `{excerpt(name)}` with `type: number`", doc=False)
                return
            numbers.append(parse_integer(c.defaults.get(name)))
            continue
        value = parse_integer(arg.text) if not arg.quoted else None
        if value is None:
            c.error(path, "range-args", f"range argument {quote(arg.text)} is not an integer",
                    "write integers (within ±1.8e308) or ${number-input}")
            return
        numbers.append(value)
    begin, end = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else 1
    if begin is not None and end is not None and begin >= end:
        c.error(path, "range-empty", f"range({begin}, {end}) is empty: begin must be less than end",
                "range(begin, end) yields begin..end-1", doc=False)
    elif step is not None and step <= 0:
        c.error(path, "range-step", f"range step {step} must be greater than 0",
                "write range(begin, end) or a positive step", doc=False)
    elif None not in (begin, end, step) and range_length(begin, end, step) > MAX_STEP_CONTAINERS:
        c.error(path, "range-too-long", f"range gives {range_length(begin, end, step)} values; a step "
                f"may have at most {MAX_STEP_CONTAINERS} containers", "use a smaller range", doc=False)


def check_result_call(c: Checker, path: tuple, call, step, body, fn: str, second: str) -> None:
    """get_result/check_result: arity, target, target width, the dependency, the second arg."""
    wanted = (1, 2) if fn == "get_result" else (2,)
    if call.error or len(call.args) not in wanted:
        form = f'{fn}(step, "{second}")' if fn == "check_result" else f'{fn}(step[, "{second}"])'
        c.error(path, f"{fn.replace('_', '-')}-args", f"{fn} takes {form}; got {len(call.args)} "
                "arguments" + (f" ({call.error})" if call.error else ""), f"write `{form}`")
        return
    target = call.args[0].text
    steps = c.widths
    if target not in steps:
        close = suggest_name(target, steps)
        c.error(path, "result-target-unknown", f"{fn} refers to step {quote(target)}, which does not exist",
                f"did you mean `{excerpt(close)}`?" if close else "name a step of this workflow")
        return
    width = steps[target]
    if width is not None and width != 1:
        c.error(path, "result-target-fanout",
                f"{fn} reads the stdout of {quote(target)}, which runs {width} containers; it needs exactly 1",
                f"give {quote(target)} a single command", doc=False)
    if step is not None and isinstance(body, dict):
        depends = body.get("depends") if isinstance(body.get("depends"), list) else []
        edges = [d for d in depends if isinstance(d, dict) and d.get("target") == target]
        if len(edges) != 1 or (edges[0].get("type") or WHOLE) != WHOLE:
            c.error(path, "result-dependency",
                    f"step {quote(step)} uses {fn}({excerpt(target)}, ...) but does not have exactly one "
                    f"`whole` dependency on {quote(target)}",
                    f"add `depends: [{{target: {excerpt(target)}, type: whole}}]`", doc=False)
    if len(call.args) > 1:
        arg = call.args[1]
        name = whole_variable(arg.text) if not arg.quoted else None
        if name is not None and c.input_type(name) not in (None, "string"):
            c.error(path, "result-argument-type",
                    f"the {second} of {fn} is ${{{excerpt(name)}}}, a {excerpt(c.input_type(name))} input; "
                    "it must be a string",
                    f"declare `{excerpt(name)}` with `type: string`", doc=False)
        elif name is None and not arg.quoted:
            c.error(path, "result-argument-type", f"the {second} of {fn} must be quoted: {quote(arg.text)}",
                    f'write `{fn}({excerpt(target)}, "{excerpt(arg.text)}")`', doc=False)


def find_split_calls(items: list) -> list[tuple[int, int, str]]:
    """Calls a YAML flow list cut at their commas: ``vars_iter: [range(5, 5)]`` reads as
    ``['range(5', '5)']``. Returns ``(first, last, call)`` per call rejoined, the pieces being
    ``items[first:last + 1]``."""
    found, index = [], 0
    while index < len(items):
        item = items[index]
        if isinstance(item, str) and _CALL_START.match(item) and _depth(item) > 0:
            joined, depth, last = item, _depth(item), index
            while depth > 0 and last + 1 < len(items) and _is_piece(items[last + 1]):
                last += 1
                piece = render_value(items[last])
                joined, depth = f"{joined}, {piece}", depth + _depth(piece)
            if depth == 0:
                found.append((index, last, joined))
                index = last + 1
                continue
        index += 1
    return found


def report_split_call(c: Checker, path: tuple, items: list, first: int, last: int,
                      call: str) -> None:
    pieces = ", ".join(quote(p) for p in items[first:last + 1])
    c.error(path, "vars-iter-split-call",
            f"{excerpt(call)} was read as {last - first + 1} vars_iter elements, {pieces}: in a "
            "flow list `[...]` YAML splits at every comma",
            f"quote the call: {_rewritten(items, first, last, call)}", doc=False)


_CALL_START = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*\(")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")


def _depth(text: str) -> int:
    return text.count("(") - text.count(")")


def _is_piece(item) -> bool:
    return isinstance(item, (str, int, float)) and not isinstance(item, bool)


def _rewritten(items: list, first: int, last: int, call: str) -> str:
    """``vars_iter: [...]`` as it should be written, the call quoted; for a long list (or one
    holding nested values, wrong anyway) only the quoted call."""
    rest = items[:first] + items[last + 1:]
    if len(rest) > 5 or any(isinstance(item, dict) or (isinstance(item, list) and (
            len(item) > 10 or any(isinstance(m, (list, dict)) for m in item))) for item in rest):
        return _single_quoted(call)
    shown = [_flow(item) for item in items[:first]] + [_single_quoted(call)] \
        + [_flow(item) for item in items[last + 1:]]
    written = f"vars_iter: [{', '.join(shown)}]"
    return written if len(written) <= 100 else _single_quoted(call)


def _flow(item) -> str:
    """``item`` (a scalar, or a list of them) as YAML flow text that reads back the same."""
    if isinstance(item, list):
        return "[" + ", ".join(_flow(member) for member in item) + "]"
    if isinstance(item, str):
        plain = _PLAIN.match(item) and item.lower() not in ("true", "false", "null")
        return excerpt(item) if plain else _single_quoted(item)
    return excerpt(render_value(item))


def _single_quoted(text: str) -> str:
    return "'" + excerpt(text).replace("'", "''") + "'"
