"""Expansion of a template with resolved inputs into a :class:`JobGraph`.

Expansion is best effort on templates that only passed lenient validation: shapes the grammar
forbids are read the most literal way instead of raising (a scalar ``vars`` row is a row of one,
an unknown ``vars_iter`` string is a single value). It raises :class:`TemplateError` only when
a value needed to build the graph cannot be computed (a ``range`` argument that is not an
integer, a ``${x}`` condition whose value is not a bool).

Order (grammar reference §5.4; kubegene's code, not the doc prose): plain ``commands`` first,
then ``commands_iter``: every ``vars`` row in order, then the cartesian product of ``vars_iter``
with the FIRST list OUTERMOST (``[a,b] x [0,1]`` -> ``a 0, a 1, b 0, b 1``). ``${item}`` numbers
the iterated commands from 0; plain commands have no ``${item}``.
"""

from __future__ import annotations

from gcsapply.diagnostics import excerpt, quote
from gcsapply.errors import TemplateError
from gcsapply.template.calls import parse_call
from gcsapply.template.graph import (
    MAX_STEP_CONTAINERS,
    WHOLE,
    CheckResult,
    Dependency,
    GetResult,
    JobGraph,
    Literal,
    Recipe,
    StepPlan,
    Volume,
)
from gcsapply.template.values import (
    BUILTIN_PVCS,
    parse_cpu,
    parse_integer,
    parse_memory,
    render_value,
    substitute,
    whole_variable,
)


def expand_data(data: dict, resolved: dict, *, file: str = "<template>",
                builtins: dict | None = None) -> JobGraph:
    """Build the job graph of template ``data`` for typed input values ``resolved``."""
    rendered = {name: render_value(value) for name, value in resolved.items()}
    for name, value in (builtins or {}).items():
        if name in BUILTIN_PVCS:
            rendered.setdefault(name, str(value))
    context = _Context(file, resolved, rendered)
    workflow = data.get("workflow") if isinstance(data.get("workflow"), dict) else {}
    steps = {}
    for name, body in workflow.items():
        steps[str(name)] = context.step(str(name), body if isinstance(body, dict) else {})
    return JobGraph(steps=steps, inputs=dict(resolved), volumes=context.volumes(data.get("volumes")),
                    outputs=context.outputs(data.get("outputs")))


def static_widths(data: dict, resolved: dict) -> dict[str, int | None]:
    """Containers per step with these input values; None when unknown before the run."""
    context = _Context("<template>", resolved, {n: render_value(v) for n, v in resolved.items()})
    workflow = data.get("workflow") if isinstance(data.get("workflow"), dict) else {}
    widths: dict[str, int | None] = {}
    for name, body in workflow.items():
        try:
            recipe = context.recipe(str(name), body if isinstance(body, dict) else {})
        except TemplateError:
            widths[str(name)] = None
            continue
        widths[str(name)] = None if recipe.is_runtime else recipe.known_width()
    return widths


class _Context:
    def __init__(self, file: str, resolved: dict, rendered: dict[str, str]):
        self.file = file
        self.resolved = resolved
        self.rendered = rendered

    def text(self, value) -> str:
        """A scalar rendered and substituted with the input values."""
        return substitute(render_value(value), self.rendered)

    def step(self, name: str, body: dict) -> StepPlan:
        resources = body.get("resources") if isinstance(body.get("resources"), dict) else {}
        cpu = parse_cpu(self.text(resources["cpu"])) if resources.get("cpu") is not None else None
        memory = (parse_memory(self.text(resources["memory"]))
                  if resources.get("memory") is not None else None)
        recipe = self.recipe(name, body)
        if recipe.known_width() > MAX_STEP_CONTAINERS:
            raise TemplateError(f"step {quote(name)} expands to {recipe.known_width()} containers; at most "
                                f"{MAX_STEP_CONTAINERS} per step", where=self.file,
                                hint="use fewer or shorter vars_iter lists")
        tool = body.get("tool")
        description = body.get("description")
        return StepPlan(
            name=name,
            tool=tool if isinstance(tool, str) else None,
            cpu=cpu,
            memory_gb=memory,
            depends=self.depends(body.get("depends")),
            commands=None if recipe.is_runtime else recipe.render(),
            condition=self.condition(name, body.get("condition")),
            description=description if isinstance(description, str) else None,
            recipe=recipe,
        )

    def depends(self, raw) -> list[Dependency]:
        out = []
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("target"), str):
                kind = entry.get("type")
                out.append(Dependency(entry["target"], kind if isinstance(kind, str) and kind else WHOLE))
        return out

    def condition(self, step: str, raw):
        if raw is None:
            return None
        if isinstance(raw, bool):
            return Literal(raw)
        name = whole_variable(raw)
        if name is not None:
            value = self.resolved.get(name)
            if isinstance(value, bool):
                return Literal(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return Literal(value.strip().lower() == "true")
            raise TemplateError(f"condition of step {quote(step)} is ${{{excerpt(name)}}}, which is not a bool "
                                f"(value {excerpt(render_value(value)) if name in self.resolved else 'undefined'})",
                                where=self.file, hint="declare the input with `type: bool`")
        call = parse_call(raw)
        if call is not None and call.name == "check_result" and call.args:
            expected = self.text(call.args[1].text) if len(call.args) > 1 else ""
            return CheckResult(call.args[0].text, expected)
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return Literal(raw.strip().lower() == "true")
        raise TemplateError(f"condition of step {quote(step)} is not true/false, ${{bool-input}} or "
                            f"check_result(...): {quote(raw)}", where=self.file)

    def recipe(self, step: str, body: dict) -> Recipe:
        commands = body.get("commands")
        plain = tuple(self.text(c) for c in commands) if isinstance(commands, list) else ()
        spec = body.get("commands_iter")
        if not isinstance(spec, dict) or not isinstance(spec.get("command"), str):
            return Recipe(plain=plain)
        return Recipe(plain=plain, command=spec["command"], values=tuple(self.rendered.items()),
                      rows=self.rows(spec.get("vars")),
                      sources=tuple(self.source(step, e) for e in _as_list(spec.get("vars_iter"))))

    def rows(self, raw) -> tuple[tuple[str, ...], ...]:
        rows = []
        for row in _as_list(raw):
            name = whole_variable(row)
            if name is not None and isinstance(self.resolved.get(name), list):
                row = self.resolved[name]
            members = row if isinstance(row, list) else [row]
            rows.append(tuple(self.text(m) for m in members))
        return tuple(rows)

    def source(self, step: str, element):
        """One ``vars_iter`` element: a tuple of rendered values, or a :class:`GetResult`."""
        if isinstance(element, list):
            return tuple(self.text(v) for v in element)
        name = whole_variable(element)
        if name is not None and name in self.resolved:
            value = self.resolved[name]
            return tuple(self.text(v) for v in (value if isinstance(value, list) else [value]))
        call = parse_call(element)
        if call is not None and call.name == "range":
            return tuple(str(v) for v in self.range_values(step, call))
        if call is not None and call.name == "get_result" and call.args:
            separator = self.text(call.args[1].text) if len(call.args) > 1 else None
            return GetResult(call.args[0].text, separator)
        return (self.text(element),)

    def range_values(self, step: str, call) -> range:
        numbers = [parse_integer(self.text(a.text)) for a in call.args]
        if len(numbers) not in (2, 3) or any(n is None for n in numbers):
            raise TemplateError(f"range(...) in step {quote(step)} needs 2 or 3 integer arguments, got "
                                f"({excerpt(', '.join(self.text(a.text) for a in call.args), 80)})",
                                where=self.file)
        if len(numbers) == 3 and numbers[2] <= 0:
            raise TemplateError(f"range(...) in step {quote(step)} has step {numbers[2]}; it must be > 0",
                                where=self.file)
        count = range_length(*numbers)
        if count > MAX_STEP_CONTAINERS:
            raise TemplateError(f"range(...) in step {quote(step)} gives {count} values; at most "
                                f"{MAX_STEP_CONTAINERS} containers per step", where=self.file)
        return range(*numbers)

    def volumes(self, raw) -> dict[str, Volume]:
        out = {}
        for name, body in (raw.items() if isinstance(raw, dict) else []):
            body = body if isinstance(body, dict) else {}
            source = body.get("mount_from") if isinstance(body.get("mount_from"), dict) else {}
            only_to = body.get("only_to") if isinstance(body.get("only_to"), list) else []
            out[str(name)] = Volume(
                name=str(name),
                mount_path=self.text(body["mount_path"]) if body.get("mount_path") is not None else None,
                pvc=self.text(source["pvc"]) if source.get("pvc") is not None else None,
                sub_path=self.text(source["sub_path"]) if source.get("sub_path") is not None else None,
                only_to=tuple(str(s) for s in only_to),
            )
        return out

    def outputs(self, raw) -> dict[str, list[str]]:
        out = {}
        for name, body in (raw.items() if isinstance(raw, dict) else []):
            body = body if isinstance(body, dict) else {}
            paths = [self.text(p) for p in _as_list(body.get("paths"))]
            spec = body.get("paths_iter")
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                sources = tuple(self.source(str(name), e) for e in _as_list(spec.get("vars_iter")))
                if not any(isinstance(s, GetResult) for s in sources):
                    recipe = Recipe(command=spec["path"], values=tuple(self.rendered.items()),
                                    rows=self.rows(spec.get("vars")), sources=sources)
                    paths.extend(recipe.render())
            out[str(name)] = paths
        return out


def range_length(begin: int, end: int, step: int = 1) -> int:
    """``len(range(begin, end, step))`` for a positive step, without len()'s 64-bit limit."""
    return max(0, -(-(end - begin) // step))


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

