"""Canonical views of desired resources: the ``after`` of a change, and what state records.

Pure functions over the desired-state dataclasses. A view holds no absolute path and no
timestamp, so the same manifests always give the same JSON plan (renderers write views with
sorted keys; diffs canonicalise them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from gcsapply.manifest.model import ExecutionSpec, WorkflowSpec, run_labels
from gcsapply.manifest.names import versioned_name
from gcsapply.plan.diff import sorted_deep


@dataclass(frozen=True)
class WorkflowVersion:
    """The GCS workflow a stack Workflow (or an ``{id: ...}`` reference) resolves to now."""

    ref: str  # the Execution's ``spec.workflow``: a name, or "id:<uuid>"
    address: str | None  # workflow/<name>, None for an id reference
    gcs_name: str | None
    gcs_id: str | None  # None while the version is still to be created
    digest: str | None = None


def workflow_after(spec: WorkflowSpec) -> dict:
    return {"gcs_name": spec.gcs_name, "description": spec.description or "",
            "vendor": spec.vendor or "", "digest": spec.digest, "versioning": spec.versioning,
            "prevent_destroy": spec.prevent_destroy}


def launch_settings(spec: ExecutionSpec) -> dict:
    """The settings a run is launched with that are not in its key (DESIGN §2)."""
    return {"environment": spec.environment, "target": spec.target,
            "namespace": spec.namespace, "sfs_pvc_name": spec.sfs_pvc_name,
            "timeout": spec.timeout, "job_retry_count": spec.job_retry_count,
            "image_pull_policy": spec.image_pull_policy, "description": spec.description,
            "labels": dict(spec.labels),
            "notification": sorted_deep(spec.notification) if spec.notification else None}


def applied_settings(spec: ExecutionSpec) -> dict:
    """The settings an edit of which changes no run once it is launched (or past Pending,
    Running and Retrying, for the priority): what an entry's ``fingerprint`` records when an
    apply saw such an edit (:mod:`gcsapply.plan.settings`)."""
    return {**launch_settings(spec), "priority": spec.priority}


def execution_policies(spec: ExecutionSpec) -> dict:
    """What state records so a removed manifest is pruned by the policy it last had."""
    return {"deletion_policy": spec.deletion_policy,
            "run_policy": {"mode": spec.run_policy.mode,
                           "max_retries": spec.run_policy.max_retries},
            "prevent_destroy": spec.prevent_destroy}


def execution_after(spec: ExecutionSpec, stack_name: str, version: WorkflowVersion | None,
                    key: str | None = None) -> dict:
    key = key or spec.key
    view = {"gcs_name": versioned_name(spec.name, key), "workflow": spec.workflow,
            "workflow_version": version.gcs_name if version else None,
            "inputs": spec.inputs, "priority": spec.priority,
            "run_policy": {"mode": spec.run_policy.mode,
                           "max_retries": spec.run_policy.max_retries,
                           "rerun_token": spec.run_policy.rerun_token},
            "deletion_policy": spec.deletion_policy, "desired_state": spec.desired_state,
            "prevent_destroy": spec.prevent_destroy}
    view.update(launch_settings(spec))
    view["labels"] = run_labels(spec.labels, stack_name, key)
    return view


def fingerprint(data) -> str:
    """sha256 of canonical JSON: the same data always gives the same fingerprint."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
