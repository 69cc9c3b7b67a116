"""The job graph a template expands to: steps with concrete commands, conditions, edges, cost.

Everything here is plain data. A step whose fan-out depends on ``get_result`` keeps
``commands = None`` and a private recipe; :meth:`StepPlan.expand_runtime` finishes it once the
upstream stdout is known. Conditions decided before the run are :class:`Literal`; those decided
at run time are :class:`CheckResult`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable

from gcsapply.errors import TemplateError
from gcsapply.template.values import ITEM, strip_one_newline, substitute

StdoutOf = Callable[[str], str]

DEFAULT_CPU = 2.0  # tool defaults when a step omits resources (grammar reference §5.2)
DEFAULT_MEMORY_GB = 8.0
WHOLE = "whole"
# [INF] a step expanding to more containers is refused rather than built (memory and time);
# the grammar documents no maximum, kubegene runs at most 5,000 jobs at once
MAX_STEP_CONTAINERS = 100_000
ITERATE = "iterate"


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str | None
    default: object = None
    has_default: bool = False
    description: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Dependency:
    target: str
    type: str = WHOLE


class Condition:
    """Whether a step runs. ``evaluate(stdout_of)`` gets the stdout of a step by name."""

    def evaluate(self, stdout_of: StdoutOf) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Literal(Condition):
    """Decided before the run: ``true``/``false`` or a ``${bool-input}``."""

    value: bool

    def evaluate(self, stdout_of: StdoutOf) -> bool:
        return self.value


@dataclass(frozen=True)
class CheckResult(Condition):
    """``check_result(step, "expected")``: the step's stdout, minus one trailing newline, equals."""

    step: str
    expected: str

    def evaluate(self, stdout_of: StdoutOf) -> bool:
        return strip_one_newline(stdout_of(self.step)) == self.expected


@dataclass(frozen=True)
class GetResult:
    """``get_result(step, "sep")`` inside ``vars_iter``: the values come from the step's stdout."""

    step: str
    separator: str | None = None

    def values(self, stdout_of: StdoutOf) -> list[str]:
        text = strip_one_newline(stdout_of(self.step))
        if not self.separator:
            return [text]
        return [piece for piece in text.split(self.separator) if piece]


@dataclass(frozen=True)
class Recipe:
    """How a step's commands are built: plain commands, then the iterated ones."""

    plain: tuple[str, ...] = ()
    command: str | None = None
    values: tuple[tuple[str, str], ...] = ()  # rendered inputs/built-ins for the command
    rows: tuple[tuple[str, ...], ...] = ()  # from `vars`, in order
    sources: tuple = ()  # from `vars_iter`: tuple[str, ...] or GetResult, first outermost

    @property
    def is_runtime(self) -> bool:
        return any(isinstance(s, GetResult) for s in self.sources)

    def known_width(self) -> int:
        """Containers known before the run (a get_result product counts as one)."""
        if self.command is None:
            return len(self.plain)
        if self.is_runtime:
            return len(self.plain) + len(self.rows) + 1
        return _width(self.plain, self.rows, self.sources)

    def render(self, stdout_of: StdoutOf | None = None) -> list[str]:
        """The commands; raises TemplateError beyond MAX_STEP_CONTAINERS instead of building them."""
        commands = list(self.plain)
        if self.command is None:
            return commands
        combos = [list(row) for row in self.rows]
        if self.sources:
            lists = [s.values(stdout_of) if isinstance(s, GetResult) else list(s)
                     for s in self.sources]
            width = _width(self.plain, self.rows, lists)
            if width > MAX_STEP_CONTAINERS:
                raise TemplateError(f"the iterated command expands to {width} containers; at most "
                                    f"{MAX_STEP_CONTAINERS} per step",
                                    hint="use fewer or shorter vars_iter lists")
            combos.extend(list(combo) for combo in itertools.product(*lists))
        base = dict(self.values)
        for index, combo in enumerate(combos):
            mapping = dict(base)
            mapping[ITEM] = str(index)
            mapping.update((str(pos), value) for pos, value in enumerate(combo, start=1))
            commands.append(substitute(self.command, mapping))
        return commands


def _width(plain, rows, lists) -> int:
    return len(plain) + len(rows) + (math.prod(len(values) for values in lists) if lists else 0)


@dataclass
class StepPlan:
    name: str
    tool: str | None
    cpu: float | None
    memory_gb: float | None
    depends: list[Dependency]
    commands: list[str] | None  # None when the width depends on get_result (run time)
    condition: Condition | None = None
    description: str | None = None
    recipe: Recipe = field(default_factory=Recipe, repr=False)

    @property
    def result_steps(self) -> list[str]:
        """Steps whose stdout this step needs (get_result sources and check_result)."""
        names = [s.step for s in self.recipe.sources if isinstance(s, GetResult)]
        if isinstance(self.condition, CheckResult):
            names.append(self.condition.step)
        return list(dict.fromkeys(names))

    def expand_runtime(self, stdout_of: StdoutOf) -> list[str]:
        """The concrete commands, reading upstream stdout for ``get_result`` when needed."""
        if self.commands is not None:
            return list(self.commands)
        return self.recipe.render(stdout_of)

    def container_count(self) -> int:
        """Containers known now; a run-time fan-out counts as one (see :class:`Cost`)."""
        return len(self.commands) if self.commands is not None else self.recipe.known_width()


def find_cycles(edges: dict) -> list[tuple]:
    """Each cycle of a directed graph once, as ``(node, label, [a, b, ..., a])`` where the edge
    ``label`` of ``node`` closes it. ``edges`` maps a node to ``[(label, target), ...]``; targets
    that are not nodes are ignored. Iterative: a long chain cannot exhaust the stack."""
    found, reported, state = [], set(), {}  # state: 1 on the current path, 2 done
    for start in edges:
        if start in state:
            continue
        state[start], path, stack = 1, [start], [(start, iter(edges[start]))]
        while stack:
            node, pending = stack[-1]
            for label, target in pending:
                if target not in edges:
                    continue
                if state.get(target) == 1:
                    cycle = path[path.index(target):] + [target]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        found.append((node, label, cycle))
                elif target not in state:
                    state[target] = 1
                    path.append(target)
                    stack.append((target, iter(edges[target])))
                    break
            else:
                state[node] = 2
                path.pop()
                stack.pop()
    return found


@dataclass(frozen=True)
class Volume:
    name: str
    mount_path: str | None
    pvc: str | None
    sub_path: str | None = None
    only_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cost:
    jobs: int
    vcpu: float
    memory_gb: float
    lower_bound: bool  # True when some fan-out is decided at run time (get_result)


@dataclass
class JobGraph:
    steps: dict[str, StepPlan]  # in template order
    inputs: dict = field(default_factory=dict)  # resolved input values, typed
    volumes: dict[str, Volume] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # output name -> paths

    def cost(self) -> Cost:
        """Containers, vCPU and memory summed over steps; literal-false steps never run."""
        jobs, vcpu, memory, lower = 0, 0.0, 0.0, False
        for step in self.steps.values():
            if isinstance(step.condition, Literal) and not step.condition.value:
                continue
            count = step.container_count()
            lower = lower or step.commands is None
            jobs += count
            vcpu += count * (step.cpu if step.cpu is not None else DEFAULT_CPU)
            memory += count * (step.memory_gb if step.memory_gb is not None else DEFAULT_MEMORY_GB)
        return Cost(jobs, vcpu, memory, lower)
