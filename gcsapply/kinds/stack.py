"""Kind ``Stack``: stack-wide settings (DESIGN §2). At most one per tree."""

from __future__ import annotations

from pathlib import Path

from gcsapply.kinds.base import Effect, FieldRule, Kind
from gcsapply.manifest.model import DEFAULT_STATE_PATH, KIND_STACK, Source, StackSpec


class Stack(Kind):
    KIND = KIND_STACK
    SCHEMA = "stack"
    FIELDS = (
        FieldRule("metadata.name", "name", Effect.TARGET, "the gcsapply-stack label of every run"),
        FieldRule("spec.endpoint", "endpoint", Effect.TARGET),
        FieldRule("spec.region", "region", Effect.TARGET),
        FieldRule("spec.projectId", "project_id", Effect.TARGET),
        FieldRule("spec.state.path", "state_path", Effect.SETTING),
        FieldRule("spec.parallelism", "parallelism", Effect.SETTING),
        FieldRule("spec.rateLimit.readsPerMinute", "reads_per_minute", Effect.SETTING),
        FieldRule("spec.rateLimit.writesPerMinute", "writes_per_minute", Effect.SETTING),
        FieldRule("spec.pageSize", "page_size", Effect.SETTING),
        FieldRule("spec.limits.maxLaunchesPerApply", "max_launches_per_apply", Effect.SETTING),
        FieldRule("spec.limits.maxDeletesPerApply", "max_deletes_per_apply", Effect.SETTING),
        FieldRule("spec.defaults.execution", None, Effect.SETTING,
                  "merged under every Execution and ExecutionSet template; each run says what it changes"),
    )

    @staticmethod
    def build(spec: dict, *, name: str, root: Path, state_path: str | None,
              source: Source | None) -> StackSpec:
        """A StackSpec from a schema-valid ``spec`` (``{}`` when the tree has no Stack)."""
        rate = spec.get("rateLimit") or {}
        limits = spec.get("limits") or {}
        return StackSpec(
            name=name,
            root=root,
            endpoint=spec.get("endpoint", "embedded"),
            region=spec.get("region"),
            project_id=spec.get("projectId"),
            state_path=state_path or DEFAULT_STATE_PATH,
            parallelism=int(spec.get("parallelism", 10)),
            reads_per_minute=int(rate.get("readsPerMinute", 600)),
            writes_per_minute=int(rate.get("writesPerMinute", 300)),
            page_size=int(spec.get("pageSize", 100)),
            max_launches_per_apply=_optional_int(limits.get("maxLaunchesPerApply")),
            max_deletes_per_apply=_optional_int(limits.get("maxDeletesPerApply")),
            source=source,
        )


def _optional_int(value):
    return None if value is None else int(value)
