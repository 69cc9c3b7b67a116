"""The desired stack: frozen dataclasses built from validated manifests.

These are what ``plan`` compares with live state. They hold only checked, typed values; every
path is absolute; ExecutionSets are already expanded into their member Executions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gcsapply.kinds.base import KIND_EXECUTION, KIND_EXECUTIONSET, KIND_STACK, KIND_WORKFLOW
from gcsapply.manifest.names import versioned_name

__all__ = ["KIND_EXECUTION", "KIND_EXECUTIONSET", "KIND_STACK", "KIND_WORKFLOW"]  # re-exported

WORK_FOLDER = ".gcsapply"  # beside the Stack manifest (DIR without one): state, database
DEFAULT_STATE_PATH = f"{WORK_FOLDER}/state.json"
# The labels that make a run this stack's (DESIGN §2), and the lineage of the state that
# launched it (DESIGN §3: tells two stacks of one name apart). A uuid lineage (36 characters)
# fits the 63-character label values the service keeps on the run's Kubernetes object.
LABEL_STACK = "gcsapply-stack"
LABEL_KEY = "gcsapply-key"
LABEL_LINEAGE = "gcsapply-lineage"
# ExecutionSpec fields that name something in GCS, checked at plan time -> the key path that
# holds each, relative to the Execution's spec
REFERENCED_FIELDS = {"environment": ("environment",), "workflow": ("workflow", "id")}


@dataclass(frozen=True)
class Source:
    """Where a resource or a value was declared, for messages: the file as reached from DIR,
    its line and column, and (for a value) the dotted key path that holds it."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        return ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)


@dataclass(frozen=True)
class RemoteStateSpec:
    """``spec.state`` with ``backend: obs`` or ``s3``: the state object in a bucket, the lock
    object beside it (DESIGN §3). ``endpoint``/``region`` None: the backend's default."""

    backend: str  # "obs" | "s3"
    bucket: str
    key: str
    endpoint: str | None = None
    region: str | None = None
    lock: str = "conditional"  # "conditional" | "external"
    lease_seconds: float = 300.0
    source: Source | None = None  # where spec.state is written

    @property
    def lock_key(self) -> str:
        return f"{self.key}.lock"

    @property
    def url(self) -> str:
        """``obs://bucket/key`` or ``s3://bucket/key``: how messages name the state."""
        return f"{self.backend}://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class StackSpec:
    name: str
    root: Path  # the directory given to the command: everything stays inside it
    endpoint: str = "embedded"  # "embedded" | "region" | an https:// URL
    region: str | None = None
    project_id: str | None = None
    state_path: str = DEFAULT_STATE_PATH  # as reached from root
    work_dir: str = WORK_FOLDER  # .gcsapply/ beside the Stack manifest, as reached from root
    parallelism: int = 10
    reads_per_minute: int = 600
    writes_per_minute: int = 300
    page_size: int = 100
    max_launches_per_apply: int | None = None
    max_deletes_per_apply: int | None = None
    source: Source | None = None  # None when the tree has no Stack manifest
    endpoint_source: Source | None = None  # where spec.endpoint is written, when it is
    remote_state: RemoteStateSpec | None = None  # None: the local backend (state_path)


@dataclass(frozen=True)
class WorkflowSpec:
    name: str  # metadata.name
    template_path: Path
    template_bytes: bytes = field(repr=False)
    description: str = ""
    vendor: str = ""
    versioning: str = "content"  # "content" | "none"
    prevent_destroy: bool = False
    source: Source | None = None

    @property
    def address(self) -> str:
        return f"workflow/{self.name}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.template_bytes).hexdigest()

    @property
    def gcs_name(self) -> str:
        """``<name>-<digest[:8]>`` under content versioning (≤ 40 characters), else the name."""
        if self.versioning == "none":
            return self.name
        return versioned_name(self.name, self.digest)

    @property
    def upload_filename(self) -> str:
        return f"{self.gcs_name}.yaml"


@dataclass(frozen=True)
class RunPolicy:
    mode: str = "once"  # "once" | "untilSucceeded"
    max_retries: int = 2
    rerun_token: str = ""


@dataclass(frozen=True)
class ExecutionSpec:
    name: str  # metadata.name (for ExecutionSet members: <set>-<s(key)>)
    workflow: str  # a Workflow's metadata.name, or "id:<uuid>"
    inputs: dict  # only the inputs given, converted to their declared types
    environment: str | None = None
    target: str = "cci"
    namespace: str = ""
    sfs_pvc_name: str = ""
    priority: int = 0
    timeout: int = 1440
    job_retry_count: int | None = None
    image_pull_policy: str = "IfNotPresent"
    description: str = ""
    labels: dict = field(default_factory=dict)
    notification: dict | None = None  # {"events": [...], "email": [...], "sms": [...]}
    run_policy: RunPolicy = RunPolicy()
    deletion_policy: str = "retain"  # "retain" | "delete"
    desired_state: str = "active"  # "active" | "cancelled"
    prevent_destroy: bool = False
    set_name: str | None = None  # the ExecutionSet this run belongs to
    source: Source | None = None
    # where the values that name something in GCS were written (REFERENCED_FIELDS -> Source):
    # the Execution, the set's template, the Stack defaults or a sample-sheet row
    positions: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def address(self) -> str:
        return f"execution/{self.name}"

    def source_of(self, name: str) -> Source | None:
        """Where the value of ``name`` (a key of :data:`REFERENCED_FIELDS`) was written; the
        run's own source when that is not known."""
        return self.positions.get(name) or self.source

    @property
    def workflow_ref(self) -> str:
        """``W`` of the run key: the Workflow's name, or ``id:<uuid>``."""
        return self.workflow

    @cached_property
    def key(self) -> str:
        """Computed once per spec: plans of 10,000 runs ask for it many times."""
        return run_key(self.workflow_ref, self.inputs, self.run_policy.rerun_token)

    @property
    def gcs_name(self) -> str:
        return versioned_name(self.name, self.key)

    def gcs_labels(self, stack_name: str, lineage: str | None = None) -> dict:
        """Our labels on the run, then the user's (ours win); with the launching state's
        ``lineage`` when it is known."""
        return run_labels(self.labels, stack_name, self.key, lineage)


@dataclass(frozen=True)
class DesiredStack:
    stack: StackSpec
    workflows: dict  # address -> WorkflowSpec
    executions: dict  # address -> ExecutionSpec
    sets: dict = field(default_factory=dict)  # "executionset/<name>" -> tuple of member addresses


def run_key(workflow_ref: str, inputs: dict, rerun_token: str = "") -> str:
    """The identity of a run (DESIGN §2). Pinned by tests: never change its bytes."""
    document = {"v": 1, "workflow": workflow_ref, "inputs": _normalise_numbers(inputs),
                "rerunToken": rerun_token}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def key_label(key: str) -> str:
    """The ``gcsapply-key`` label of the run with run key ``key``."""
    return f"v1-{key[:40]}"


def run_labels(user_labels: dict, stack_name: str, key: str, lineage: str | None = None) -> dict:
    """A run's labels: the user's, then ours (ours win); ``gcsapply-lineage`` when given."""
    labels = {**user_labels, LABEL_STACK: stack_name, LABEL_KEY: key_label(key)}
    if lineage:
        labels[LABEL_LINEAGE] = lineage
    return labels


def _normalise_numbers(value):
    """Integral floats become ints, so ``4`` and ``4.0`` give the same key."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_numbers(v) for v in value]
    return value
