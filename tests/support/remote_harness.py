"""Helpers for the remote state backends' tests (obs/s3 over moto's S3 server): specs, backends,
locks, state documents, and a stack on disk whose Stack keeps its state in a bucket.

Locks built here get a heartbeat period of an hour, so their background thread never renews
on its own: a test renews by calling ``lock.renew()``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from apply_harness import ECHO_TEMPLATE, WORKFLOW, execution

from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_PROJECT_ID
from gcsapply.manifest.model import RemoteStateSpec
from gcsapply.state.file import Binding, State, render_state
from gcsapply.state.lease import LeaseLock
from gcsapply.state.objects import Bucket
from gcsapply.state.remote import RemoteBackend

T0 = 1_796_212_800.0  # 2026-12-02T12:00:00Z
NEVER = 3600.0  # beat_seconds: the heartbeat thread never renews during a test
STACK_NAME = "teststack"
KEY = f"gcsapply/{STACK_NAME}/state.json"
BINDING = Binding("embedded", EMBEDDED_PROJECT_ID, STACK_NAME)


def spec(endpoint: str, bucket: str, *, key: str = KEY, lease: float = 300.0,
         backend: str = "s3", lock: str = "conditional") -> RemoteStateSpec:
    return RemoteStateSpec(backend=backend, bucket=bucket, key=key, endpoint=endpoint,
                           region="us-east-1", lock=lock, lease_seconds=lease)


def bucket_at(endpoint: str, bucket: str) -> Bucket:
    return Bucket(bucket=bucket, endpoint=endpoint, region="us-east-1")


def backend(tmp_path: Path, endpoint: str, bucket: str, *, bucket_object: Bucket | None = None,
            **options) -> RemoteBackend:
    journal = tmp_path / f"journal-{uuid.uuid4().hex[:8]}.jsonl"
    return RemoteBackend(spec(endpoint, bucket, **options), journal_path=journal, environ={},
                         endpoint=endpoint, bucket=bucket_object)


def lease_lock(endpoint: str, bucket: str, *, at: float = T0, command: str = "gcsapply apply .",
               lease: float = 300.0, on_lost=None, probe=None,
               bucket_object: Bucket | None = None) -> LeaseLock:
    """A lock on ``bucket``'s state whose clock reads ``at`` (a ManualClock: ``lock.clock``)."""
    return LeaseLock(bucket_object or bucket_at(endpoint, bucket), spec(endpoint, bucket, lease=lease), command,
                     unlock_hint_dir="stack", clock=ManualClock(at), on_lost=on_lost, probe=probe,
                     beat_seconds=NEVER)


def state_document(serial: int = 3, *, lineage: str = "11111111-2222-3333-4444-555555555555",
                   resources: dict | None = None) -> bytes:
    """A valid state document bound to the embedded target of ``teststack``."""
    state = State(binding=BINDING, lineage=lineage, serial=serial, resources=resources or {})
    return render_state(state).encode("utf-8")


def workflow_entry(name: str) -> dict:
    return {"kind": "Workflow", "name": name}


def stack_yaml(state: str) -> str:
    """The harness's Stack with ``spec.state`` written as the flow mapping ``state``."""
    return f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: {STACK_NAME}}}
spec:
  endpoint: embedded
  parallelism: 4
  state: {state}
  defaults:
    execution: {{environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}}
"""


def s3_state(endpoint: str, bucket: str, **extra: str) -> str:
    fields = {"backend": "s3", "bucket": bucket, "endpoint": f'"{endpoint}"',
              "region": "us-east-1", **extra}
    return "{" + ", ".join(f"{name}: {value}" for name, value in fields.items()) + "}"


def remote_stack(gcs, state: str, *, runs: tuple[str, ...] = ("e1",)) -> Path:
    """Write a stack (one workflow, ``runs`` executions) whose Stack says ``state: <state>``."""
    files = {"stack.yaml": stack_yaml(state), "templates/hello.yaml": ECHO_TEMPLATE,
             "workflow.yaml": WORKFLOW}
    files.update({f"run-{name}.yaml": execution(name, f"sample-{name}") for name in runs})
    return gcs.write(files)


def stored(client, bucket: str, key: str = KEY) -> bytes | None:
    """The object's bytes, straight from the server (None when there is none)."""
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None


def etag(client, bucket: str, key: str) -> str:
    return client.head_object(Bucket=bucket, Key=key)["ETag"]
