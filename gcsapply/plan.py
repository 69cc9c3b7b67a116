"""The plan: what ``apply`` would change, as plain data (DESIGN §4).

:func:`build_plan` is pure: it compares the desired stack, the live state listed from GCS and
the state file, and returns a frozen :class:`Plan`. It does no I/O and reads no clock, so it is
tested without a server. The types live in :mod:`gcsapply.plan_model` and are re-exported here.
"""

from __future__ import annotations

from gcsapply.plan_model import (ACTION_ORDER, KIND_EXECUTION, KIND_WORKFLOW, Action, Change,
                                 Cost, Drift, FieldDiff, Plan, PlanOptions, PlanWarning, Reason)

__all__ = ["ACTION_ORDER", "KIND_EXECUTION", "KIND_WORKFLOW", "Action", "Change", "Cost",
           "Drift", "FieldDiff", "Plan", "PlanOptions", "PlanWarning", "Reason", "build_plan"]


def build_plan(desired, live, state, options=None, *, templates=None, target_line: str = ""):
    """Compare desired, live and state; return the :class:`Plan`. Pure. (Being built.)"""
    raise NotImplementedError("build_plan is being built (issue 4)")
