"""From a schema-valid manifest document to the dataclass of its kind (:mod:`gcsapply.manifest.model`).

Each builder takes a document that already passed its JSON Schema (and, for Executions, the
Stack defaults merged in and the inputs converted), so it only reads values and fills in the
documented defaults. The kinds (:mod:`gcsapply.kinds`) declare field rules; building is here.

The guardrails default on (DESIGN §4, §7b): a plan launching more than
:data:`DEFAULT_MAX_LAUNCHES_PER_APPLY` runs or deleting more than
:data:`DEFAULT_MAX_DELETES_PER_APPLY` objects is refused unless the Stack raises the limit (or
writes ``null`` for none) or the command gives ``--allow-launches N``/``--allow-deletes N``;
a tree without a Stack gets the defaults too.
"""

from __future__ import annotations

from pathlib import Path

from gcsapply.manifest.model import (
    WORK_FOLDER,
    ExecutionSpec,
    RemoteStateSpec,
    RunPolicy,
    Source,
    StackSpec,
    WorkflowSpec,
)

DEFAULT_MAX_LAUNCHES_PER_APPLY = 1000
DEFAULT_MAX_DELETES_PER_APPLY = 50
DEFAULT_LOCK_LEASE = "5m"
# A lease outlasts the longest time a holder's last request may still land in GCS (60 s: the
# client's 30 s request timeout plus the 30 s grace of engine.recorder.settle_seconds), with a
# minute to spare for heartbeats: a holder that cannot renew stops sending 60 s before its lease
# ends, and a taker never plans while a create it cannot see may still arrive.
MIN_LOCK_LEASE_SECONDS = 120.0


def build_stack_spec(spec: dict, *, name: str, root: Path, state_path: str | None,
                     source: Source | None, work_dir: str = WORK_FOLDER,
                     endpoint_source: Source | None = None,
                     state_source: Source | None = None) -> StackSpec:
    """A StackSpec from a schema-valid ``spec`` (``{}`` when the tree has no Stack).

    ``state_path`` and ``work_dir`` are as reached from ``root``; the default state path is
    ``state.json`` in ``work_dir``."""
    rate = spec.get("rateLimit") or {}
    limits = spec.get("limits") or {}
    return StackSpec(
        name=name,
        root=root,
        endpoint=spec.get("endpoint", "embedded"),
        region=spec.get("region"),
        project_id=spec.get("projectId"),
        state_path=state_path or f"{work_dir}/state.json",
        work_dir=work_dir,
        parallelism=int(spec.get("parallelism", 10)),
        reads_per_minute=int(rate.get("readsPerMinute", 600)),
        writes_per_minute=int(rate.get("writesPerMinute", 300)),
        page_size=int(spec.get("pageSize", 100)),
        max_launches_per_apply=_limit(limits, "maxLaunchesPerApply", DEFAULT_MAX_LAUNCHES_PER_APPLY),
        max_deletes_per_apply=_limit(limits, "maxDeletesPerApply", DEFAULT_MAX_DELETES_PER_APPLY),
        source=source,
        endpoint_source=endpoint_source,
        remote_state=build_remote_state(spec.get("state") or {}, stack_name=name,
                                        source=state_source),
    )


def build_remote_state(state: dict, *, stack_name: str,
                       source: Source | None = None) -> RemoteStateSpec | None:
    """``spec.state`` of a remote backend, or None for ``local`` (the default). The bucket is
    checked by the loader (a remote backend without one is reported there)."""
    backend = state.get("backend", "local")
    if backend == "local" or not state.get("bucket"):
        return None
    return RemoteStateSpec(
        backend=backend,
        bucket=state["bucket"],
        key=state.get("key") or default_state_key(stack_name),
        endpoint=(state.get("endpoint") or "").rstrip("/") or None,
        region=state.get("region"),
        lock=state.get("lock", "conditional"),
        lease_seconds=parse_lease(state.get("lockLease", DEFAULT_LOCK_LEASE)),
        source=source,
    )


def default_state_key(stack_name: str) -> str:
    return f"gcsapply/{stack_name}/state.json"


def parse_lease(text: str) -> float:
    """``90s``, ``5m``, ``1h`` (schema-valid) -> seconds."""
    return float(text[:-1]) * {"s": 1, "m": 60, "h": 3600}[text[-1]]


def build_workflow_spec(spec: dict, *, name: str, template_path: Path, template_bytes: bytes,
                        source: Source | None) -> WorkflowSpec:
    """A WorkflowSpec from a schema-valid ``spec`` and the template's bytes as uploaded."""
    lifecycle = spec.get("lifecycle") or {}
    return WorkflowSpec(
        name=name,
        template_path=template_path,
        template_bytes=template_bytes,
        description=spec.get("description", ""),
        vendor=spec.get("vendor", ""),
        versioning=spec.get("versioning", "content"),
        prevent_destroy=bool(lifecycle.get("preventDestroy", False)),
        source=source,
    )


def build_execution_spec(spec: dict, *, name: str, inputs: dict, set_name: str | None = None,
                         source: Source | None = None,
                         positions: dict | None = None) -> ExecutionSpec:
    """An ExecutionSpec from a schema-valid spec with Stack defaults merged in.

    ``inputs`` are the converted inputs (declared types, integral numbers as ints);
    ``positions`` where the values that name something in GCS were written.
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
        positions=positions if positions is not None else {},
    )


def workflow_ref(value) -> str:
    """``W`` of the run key: a Workflow's name, or ``id:<uuid>`` for ``{id: <uuid>}``."""
    if isinstance(value, dict):
        return f"id:{value['id']}"
    return value


def _limit(limits: dict, key: str, default: int) -> int | None:
    """The guardrail ``key``: its default when not written, None (no limit) when ``null``."""
    return _optional_int(limits[key]) if key in limits else default


def _optional_int(value):
    return None if value is None else int(value)
