"""Kind ``Stack``: stack-wide settings (DESIGN §2). At most one per tree."""

from __future__ import annotations

from gcsapply.kinds.base import KIND_STACK, Effect, FieldRule, Kind


class Stack(Kind):
    KIND = KIND_STACK
    SCHEMA = "stack"
    FIELDS = (
        FieldRule("metadata.name", "name", Effect.TARGET, "the gcsapply-stack label of every run"),
        FieldRule("spec.endpoint", "endpoint", Effect.TARGET),
        FieldRule("spec.region", "region", Effect.TARGET),
        FieldRule("spec.projectId", "project_id", Effect.TARGET),
        FieldRule("spec.state.path", "state_path", Effect.SETTING,
                  "relative to the Stack's file; must stay inside the stack directory"),
        FieldRule("spec.state.backend", "remote_state", Effect.SETTING,
                  "local (default), obs or s3: where the state and its lock live"),
        FieldRule("spec.state.bucket", "remote_state", Effect.SETTING),
        FieldRule("spec.state.key", "remote_state", Effect.SETTING,
                  "default gcsapply/<stack>/state.json; the lock object is the key plus .lock"),
        FieldRule("spec.state.endpoint", "remote_state", Effect.SETTING),
        FieldRule("spec.state.region", "remote_state", Effect.SETTING),
        FieldRule("spec.state.lock", "remote_state", Effect.SETTING,
                  "conditional (default) or external"),
        FieldRule("spec.state.lockLease", "remote_state", Effect.SETTING,
                  "a lock whose heartbeat is older is taken over; default 5m"),
        FieldRule("spec.parallelism", "parallelism", Effect.SETTING),
        FieldRule("spec.rateLimit.readsPerMinute", "reads_per_minute", Effect.SETTING),
        FieldRule("spec.rateLimit.writesPerMinute", "writes_per_minute", Effect.SETTING),
        FieldRule("spec.pageSize", "page_size", Effect.SETTING),
        FieldRule("spec.limits.maxLaunchesPerApply", "max_launches_per_apply", Effect.SETTING,
                  "runs one apply may launch; default 1000, null for no limit"),
        FieldRule("spec.limits.maxDeletesPerApply", "max_deletes_per_apply", Effect.SETTING,
                  "objects one apply may delete; default 50, null for no limit"),
        FieldRule("spec.defaults.execution", None, Effect.SETTING,
                  "merged under every Execution and ExecutionSet template; each run says what it changes"),
    )
