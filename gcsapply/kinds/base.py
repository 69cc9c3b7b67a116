"""What every kind declares: its schema (which holds its name rule, :mod:`gcsapply.manifest.names`)
and its field rules (STYLE §5).

A field rule says what a change to one manifest field does to the live resource, so plan can
say exactly what changed and what may change ("Can only update ..."; ``gcsapply.plan.diff``). Rules name the manifest
path (``spec.priority``) and the attribute of the model dataclass that holds its value
(``priority``; dotted for nested values, ``run_policy.rerun_token``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

# The manifest kinds (``kind:``); state entries and plan changes carry the same names.
KIND_STACK = "Stack"
KIND_WORKFLOW = "Workflow"
KIND_EXECUTION = "Execution"
KIND_EXECUTIONSET = "ExecutionSet"


class Effect(StrEnum):
    """What changing a field does. Values appear verbatim in messages and tests."""

    IN_PLACE = "in-place"  # an update call on the live object (workflow description, priority)
    NEW_VERSION = "new-version"  # a new GCS workflow version <name>-<digest[:8]>
    NEW_RUN = "new-run"  # part of the run key: a new run; the old one is superseded
    NEXT_RUN = "next-run"  # a launch setting: applies to the next launch only (warning)
    STATE_ONLY = "state-only"  # recorded in state only (policies): update, reason policy-changed
    DESIRED_STATE = "desired-state"  # drives an action (cancel) rather than a field update
    MEMBERS = "members"  # ExecutionSet: changes which member runs exist
    SETTING = "setting"  # how gcsapply runs (Stack); nothing in GCS changes
    TARGET = "target"  # which GCS account/stack the state is bound to: state refuses a change


@dataclass(frozen=True)
class FieldRule:
    path: str  # manifest path, dotted: "spec.runPolicy.rerunToken"
    attribute: str | None  # model attribute, dotted: "run_policy.rerun_token" (None: no model field)
    effect: Effect
    note: str = ""


class Kind:
    """Base of the kinds. Subclasses set the class attributes; instances are never made."""

    KIND: ClassVar[str]
    SCHEMA: ClassVar[str]  # name of schemas/<SCHEMA>.schema.json
    FIELDS: ClassVar[tuple[FieldRule, ...]]

    @classmethod
    def address(cls, name: str) -> str:
        return f"{cls.KIND.lower()}/{name}"

    @classmethod
    def rules(cls, effect: Effect) -> tuple[FieldRule, ...]:
        return tuple(rule for rule in cls.FIELDS if rule.effect == effect)
