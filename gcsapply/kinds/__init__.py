"""The manifest kinds: one module per kind, dispatched through one table (STYLE §4)."""

from gcsapply.kinds.base import Effect, FieldRule, Kind
from gcsapply.kinds.execution import Execution
from gcsapply.kinds.executionset import ExecutionSet
from gcsapply.kinds.stack import Stack
from gcsapply.kinds.workflow import Workflow

KINDS: dict[str, type[Kind]] = {cls.KIND: cls for cls in (Stack, Workflow, Execution, ExecutionSet)}

__all__ = ["KINDS", "Effect", "Execution", "ExecutionSet", "FieldRule", "Kind",
           "Stack", "Workflow"]
