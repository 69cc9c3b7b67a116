"""Kind ``Execution``: one run of a workflow, identified by its run key (DESIGN §2)."""

from __future__ import annotations

from gcsapply.kinds.base import KIND_EXECUTION, Effect, FieldRule, Kind

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
