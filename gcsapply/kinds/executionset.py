"""Kind ``ExecutionSet``: one Execution per sample-sheet row (DESIGN §2).

Members are ordinary Executions named ``<set>-<s(key)>``; each follows the Execution field
rules for its ``spec.template.*`` fields. Changing the sheet or the key column changes which
members exist: new rows launch, removed rows are pruned by their last deletion policy.
"""

from __future__ import annotations

from gcsapply.kinds.base import KIND_EXECUTIONSET, Effect, FieldRule, Kind
from gcsapply.kinds.execution import EXECUTION_FIELDS


class ExecutionSet(Kind):
    KIND = KIND_EXECUTIONSET
    SCHEMA = "executionset"
    FIELDS = (
        FieldRule("spec.samples", None, Effect.MEMBERS, "rows added launch; rows removed are pruned"),
        FieldRule("spec.key", None, Effect.MEMBERS, "renames every member: all are pruned and relaunched"),
    ) + tuple(
        FieldRule(rule.path.replace("spec.", "spec.template.", 1), rule.attribute, rule.effect, rule.note)
        for rule in EXECUTION_FIELDS
    )
    # Member specs are ExecutionSpec: plan compares them with the Execution rules.
