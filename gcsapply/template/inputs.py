"""Declared inputs: reading the ``inputs`` map, and resolving run-time values against it.

A default may reference other inputs (``default: /home/${base}``, grammar reference §3). Defaults
are resolved in dependency order, each in one textual pass; a reference cycle is a problem.
"""

from __future__ import annotations

from gcsapply.diagnostics import quote
from gcsapply.template.graph import InputSpec, find_cycles
from gcsapply.template.values import INPUT_TYPES, normalize, render_value, substitute, type_problem, variable_names


def read_inputs(data) -> dict[str, InputSpec]:
    """``InputSpec`` per declared input; tolerant of malformed entries (validate reports them)."""
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if not isinstance(inputs, dict):
        return {}
    out = {}
    for name, body in inputs.items():
        body = body if isinstance(body, dict) else {}
        type_name = body.get("type")
        out[str(name)] = InputSpec(
            name=str(name),
            type=type_name if isinstance(type_name, str) else None,
            default=body.get("default"),
            has_default="default" in body,
            description=body.get("description") if isinstance(body.get("description"), str) else None,
            label=body.get("label") if isinstance(body.get("label"), str) else None,
        )
    return out


def default_references(spec: InputSpec, names) -> list[str]:
    """Declared input names referenced by ``spec``'s default (strings and array elements)."""
    texts = spec.default if isinstance(spec.default, list) else [spec.default]
    found = []
    for text in texts:
        found.extend(n for n in variable_names(text) if n in names)
    return list(dict.fromkeys(found))


def find_default_cycles(specs: dict[str, InputSpec]) -> list[list[str]]:
    """Each reference cycle among defaults once, as ``[a, b, a]``."""
    edges = {n: [(None, r) for r in default_references(s, specs)] for n, s in specs.items() if s.has_default}
    return [cycle for _node, _label, cycle in find_cycles(edges)]


def check_values(specs: dict[str, InputSpec], values: dict) -> list[str]:
    """Problems with run-time values: undeclared names, wrong types, required inputs missing."""
    problems = []
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(f"input {quote(name)} is not declared in the template"
                            + _known(specs))
            continue
        if spec.type in INPUT_TYPES:
            problem = type_problem(value, spec.type)
            if problem:
                problems.append(f"input {quote(name)}: {problem}")
    for name, spec in specs.items():
        if name not in values and not spec.has_default:
            problems.append(f"input {quote(name)} has no default and no value was supplied")
    return problems


def resolve_values(specs: dict[str, InputSpec], values: dict) -> tuple[dict, list[str]]:
    """Defaults plus overrides, typed and with default references resolved; and problems.

    Resolves as much as it can even when there are problems (inputs in a cycle, or with a
    default of the wrong type, are left out of the result).
    """
    problems = check_values(specs, values)
    resolved = {n: normalize(v) for n, v in values.items()
                if n in specs and not (specs[n].type in INPUT_TYPES and type_problem(v, specs[n].type))}
    pending = {n: s for n, s in specs.items() if n not in values and s.has_default}
    cyclic = set()
    for cycle in find_default_cycles(pending):
        cyclic.update(cycle)
        problems.append("input defaults reference each other in a cycle: " + " -> ".join(cycle))
    rendered = {n: render_value(v) for n, v in resolved.items()}
    for name in _dependency_order(pending):
        if name in cyclic:
            continue
        spec = pending[name]
        value = _substitute_default(spec.default, rendered)
        problem = type_problem(value, spec.type) if spec.type in INPUT_TYPES else None
        if problem:
            problems.append(f"input {quote(name)}: default {problem}")
            continue
        resolved[name] = normalize(value)
        rendered[name] = render_value(resolved[name])
    return {n: resolved[n] for n in specs if n in resolved}, problems


def default_values(specs: dict[str, InputSpec]) -> dict:
    """The values defaults alone give (for static checks); inputs without one are absent."""
    return resolve_values(specs, {})[0]


def _dependency_order(pending: dict[str, InputSpec]) -> list[str]:
    """Names whose defaults reference others after those others (Kahn's algorithm, linear);
    names in a cycle (reported before) come last."""
    deps = {n: [d for d in default_references(s, pending) if d != n] for n, s in pending.items()}
    waiting = {n: len(d) for n, d in deps.items()}
    users: dict[str, list[str]] = {}
    for name, targets in deps.items():
        for target in targets:
            users.setdefault(target, []).append(name)
    order = [n for n in pending if not waiting[n]]
    for name in order:  # grows while it is walked
        for user in users.get(name, []):
            waiting[user] -= 1
            if not waiting[user]:
                order.append(user)
    placed = set(order)
    return order + [n for n in pending if n not in placed]


def _substitute_default(default, rendered: dict[str, str]):
    if isinstance(default, str):
        return substitute(default, rendered)
    if isinstance(default, list):
        return [substitute(v, rendered) if isinstance(v, str) else v for v in default]
    return default


def _known(specs) -> str:
    if not specs:
        return " (the template declares no inputs)"
    return " (declared: " + ", ".join(sorted(specs)) + ")"
