"""Declared inputs: reading the ``inputs`` map, and resolving run-time values against it.

A default may reference other inputs (``default: /home/${base}``, grammar reference §3). Defaults
are resolved in dependency order, each in one textual pass; a reference cycle is a problem.
"""

from __future__ import annotations

from gcsapply.template.graph import InputSpec
from gcsapply.template.values import (INPUT_TYPES, normalize, render_value, substitute,
                                      type_problem, variable_names)


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
    graph = {n: default_references(s, specs) for n, s in specs.items() if s.has_default}
    cycles, seen_sets, state = [], set(), {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])
    return cycles


def check_values(specs: dict[str, InputSpec], values: dict) -> list[str]:
    """Problems with run-time values: undeclared names, wrong types, required inputs missing."""
    problems = []
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(f"input '{name}' is not declared in the template"
                            + _known(specs))
            continue
        if spec.type in INPUT_TYPES:
            problem = type_problem(value, spec.type)
            if problem:
                problems.append(f"input '{name}': {problem}")
    for name, spec in specs.items():
        if name not in values and not spec.has_default:
            problems.append(f"input '{name}' has no default and no value was supplied")
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
    for name in _dependency_order(pending):
        if name in cyclic:
            continue
        spec = pending[name]
        rendered = {n: render_value(v) for n, v in resolved.items()}
        value = _substitute_default(spec.default, rendered)
        problem = type_problem(value, spec.type) if spec.type in INPUT_TYPES else None
        if problem:
            problems.append(f"input '{name}': default {problem}")
            continue
        resolved[name] = normalize(value)
    return {n: resolved[n] for n in specs if n in resolved}, problems


def default_values(specs: dict[str, InputSpec]) -> dict:
    """The values defaults alone give (for static checks); inputs without one are absent."""
    return resolve_values(specs, {})[0]


def _dependency_order(pending: dict[str, InputSpec]) -> list[str]:
    order, placed = [], set()
    remaining = list(pending)
    while remaining:
        progress = False
        for name in list(remaining):
            deps = [d for d in default_references(pending[name], pending) if d != name]
            if all(d in placed for d in deps):
                order.append(name)
                placed.add(name)
                remaining.remove(name)
                progress = True
        if not progress:  # cycles were reported before; keep going defensively
            return order + remaining
    return order


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
