"""Kind ``Execution``: one run of a workflow, identified by its run key (DESIGN §2)."""

from __future__ import annotations

from gcsapply.kinds.base import Effect, FieldRule, Kind
from gcsapply.manifest.model import KIND_EXECUTION, ExecutionSpec, RunPolicy, Source

# The fields of an Execution spec; ExecutionSet reuses them under spec.template.
EXECUTION_FIELDS = (
    FieldRule("spec.workflow", "workflow", Effect.NEW_RUN, "part of the run key"),
    FieldRule("spec.inputs", "inputs", Effect.NEW_RUN, "part of the run key"),
    FieldRule("spec.runPolicy.rerunToken", "run_policy.rerun_token", Effect.NEW_RUN,
              "part of the run key: change it to ask for a deliberate new run"),
    FieldRule("spec.priority", "priority", Effect.IN_PLACE,
              "updated while the run is Pending, Running or Retrying"),
    FieldRule("spec.environment", "environment", Effect.NEXT_RUN),
    FieldRule("spec.target", "target", Effect.NEXT_RUN),
    FieldRule("spec.namespace", "namespace", Effect.NEXT_RUN),
    FieldRule("spec.sfsPvcName", "sfs_pvc_name", Effect.NEXT_RUN),
    FieldRule("spec.timeout", "timeout", Effect.NEXT_RUN),
    FieldRule("spec.jobRetryCount", "job_retry_count", Effect.NEXT_RUN),
    FieldRule("spec.imagePullPolicy", "image_pull_policy", Effect.NEXT_RUN),
    FieldRule("spec.description", "description", Effect.NEXT_RUN),
    FieldRule("spec.labels", "labels", Effect.NEXT_RUN),
    FieldRule("spec.notification", "notification", Effect.NEXT_RUN),
    FieldRule("spec.runPolicy.mode", "run_policy.mode", Effect.STATE_ONLY),
    FieldRule("spec.runPolicy.maxRetries", "run_policy.max_retries", Effect.STATE_ONLY),
    FieldRule("spec.deletionPolicy", "deletion_policy", Effect.STATE_ONLY),
    FieldRule("spec.lifecycle.preventDestroy", "prevent_destroy", Effect.STATE_ONLY),
    FieldRule("spec.desiredState", "desired_state", Effect.DESIRED_STATE,
              "cancelled: cancel a Pending/Running/Retrying run; never launch"),
)


class Execution(Kind):
    KIND = KIND_EXECUTION
    SCHEMA = "execution"
    FIELDS = EXECUTION_FIELDS

    @staticmethod
    def build(spec: dict, *, name: str, inputs: dict, set_name: str | None = None,
              source: Source | None = None) -> ExecutionSpec:
        """An ExecutionSpec from a schema-valid spec with Stack defaults merged in.

        ``inputs`` are the converted inputs (declared types, integral numbers as ints).
        """
        run_policy = spec.get("runPolicy") or {}
        lifecycle = spec.get("lifecycle") or {}
        notification = spec.get("notification")
        return ExecutionSpec(
            name=name,
            workflow=workflow_ref(spec["workflow"]),
            inputs=inputs,
            environment=spec.get("environment"),
            target=spec.get("target", "cci"),
            namespace=spec.get("namespace", ""),
            sfs_pvc_name=spec.get("sfsPvcName", ""),
            priority=int(spec.get("priority", 0)),
            timeout=int(spec.get("timeout", 1440)),
            job_retry_count=_optional_int(spec.get("jobRetryCount")),
            image_pull_policy=spec.get("imagePullPolicy", "IfNotPresent"),
            description=spec.get("description", ""),
            labels=dict(spec.get("labels") or {}),
            notification=dict(notification) if notification is not None else None,
            run_policy=RunPolicy(
                mode=run_policy.get("mode", "once"),
                max_retries=int(run_policy.get("maxRetries", 2)),
                rerun_token=run_policy.get("rerunToken", ""),
            ),
            deletion_policy=spec.get("deletionPolicy", "retain"),
            desired_state=spec.get("desiredState", "active"),
            prevent_destroy=bool(lifecycle.get("preventDestroy", False)),
            set_name=set_name,
            source=source,
        )


def workflow_ref(value) -> str:
    """``W`` of the run key: a Workflow's name, or ``id:<uuid>`` for ``{id: <uuid>}``."""
    if isinstance(value, dict):
        return f"id:{value['id']}"
    return value


def _optional_int(value):
    return None if value is None else int(value)
