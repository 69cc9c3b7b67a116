"""What plan knows about GCS: plain records reduced from list pages as they stream.

:func:`gcsapply.live.fetch.fetch_live` fills a :class:`LiveState` with list calls only; the pure
:func:`gcsapply.plan.build.build_plan` reads it. Tests build one by hand. The run-status
vocabulary is defined here, once, for plan, apply, ``status`` and the progress display, with the
readers of an executions list item (:func:`listed_execution`, :func:`jobs_progress`). This
module imports no client: plan imports it and stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from gcsapply.manifest.model import LABEL_KEY, LABEL_LINEAGE, LABEL_STACK

# The run statuses of GCS, as the client reads them (the emulator keeps its own copy).
SUCCEEDED = "Succeeded"
CANCELLED = "Cancelled"
FAILED = "Failed"
DELETING = "Deleting"
ACTIVE = frozenset({"Pending", "Running", "Retrying"})  # cancel/update allowed
STOPPING = frozenset({"Cancelling", "ForceCancelling", DELETING})  # never create over these
FINISHED = frozenset({SUCCEEDED, CANCELLED})
TERMINAL = FINISHED | {FAILED}  # the run will not change again
# Not statuses of the service: what gcsapply shows for a run that is not listed any more, and
# for a listed run without a status.
MISSING = "Missing"
UNKNOWN = "Unknown"


@dataclass(frozen=True)
class LiveWorkflow:
    """A tenant workflow from the list.

    ``digest`` is known when its archive was read; on a plan's
    :class:`~gcsapply.plan.model.Change`, also when the state vouches for it (its ``update_at``
    has not moved since the state recorded the digest).
    """

    id: str
    name: str
    description: str = ""
    vendor: str = ""
    update_at: str | None = None
    digest: str | None = None

    @classmethod
    def from_item(cls, item: dict) -> "LiveWorkflow":
        """The workflow of one workflows list item."""
        return cls(id=item.get("id"), name=item.get("name"),
                   description=item.get("description") or "", vendor=item.get("vendor") or "",
                   update_at=item.get("update_at"))

    def view(self) -> dict:
        """The canonical view diffs compare (server-filled fields left out)."""
        view = {"gcs_name": self.name, "description": self.description or "",
                "vendor": self.vendor or ""}
        if self.digest is not None:
            view["digest"] = self.digest
        return view


@dataclass(frozen=True)
class LiveExecution:
    """A run from the list, reduced to what plan and apply need."""

    id: str
    name: str
    status: str
    workflow_id: str | None = None
    workflow_name: str | None = None
    priority: int = 0
    labels: Mapping = field(default_factory=dict)
    create_at: str | None = None
    update_at: str | None = None

    @property
    def stack(self) -> str | None:
        return self.labels.get(LABEL_STACK)

    @property
    def key_label(self) -> str | None:
        return self.labels.get(LABEL_KEY)

    @property
    def lineage(self) -> str | None:
        """The lineage of the state that launched the run (runs launched before gcsapply
        labelled lineages have none)."""
        return self.labels.get(LABEL_LINEAGE)

    def view(self) -> dict:
        return {"gcs_name": self.name, "status": self.status,
                "workflow_version": self.workflow_name, "priority": self.priority,
                "labels": dict(sorted(self.labels.items()))}

    @classmethod
    def from_item(cls, item: dict) -> "LiveExecution":
        """The run of one executions list item ``{execution, object, status, ...}``."""
        execution = listed_execution(item)
        priority = execution.get("priority")
        return cls(
            id=execution.get("guid"), name=execution.get("name"), status=execution.get("status"),
            workflow_id=execution.get("workflow_id"),
            workflow_name=execution.get("workflow_name"),
            priority=int(priority) if priority not in (None, "") else 0,
            labels=dict(execution.get("label") or {}), create_at=execution.get("create_at"),
            update_at=execution.get("update_at"))


@dataclass(frozen=True)
class LiveState:
    """Everything one plan read from GCS.

    ``executions`` holds only the runs that concern this stack (the names it looks for, the ids
    its state knows, and runs labelled with its stack name, which may be another stack's of the
    same name: plan decides which are owned), one per GCS name; ``duplicates`` holds, for a
    name that several runs carrying the same stack and key labels share (possible only where
    the service allows duplicate names), all of them, oldest first — ``executions`` keeps the
    one the state knows, else the oldest. ``users`` counts, for every workflow id, the live
    runs of the whole project that reference it.
    """

    workflows: Mapping[str, LiveWorkflow] = field(default_factory=dict)  # by GCS name
    executions: Mapping[str, LiveExecution] = field(default_factory=dict)  # by GCS name
    users: Mapping[str, frozenset] = field(default_factory=dict)  # workflow id -> run ids
    environments: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()  # "name:version"
    public_workflows: Mapping[str, LiveWorkflow] = field(default_factory=dict)  # by id
    duplicates: Mapping[str, tuple[LiveExecution, ...]] = field(default_factory=dict)  # by name

    def __post_init__(self):
        object.__setattr__(self, "_workflows_by_id",
                           MappingProxyType({w.id: w for w in self.workflows.values()}))
        object.__setattr__(self, "_executions_by_id",
                           MappingProxyType({e.id: e for e in self.executions.values()}))

    def workflow_by_id(self, gcs_id: str | None) -> LiveWorkflow | None:
        if gcs_id is None:
            return None
        return self._workflows_by_id.get(gcs_id) or self.public_workflows.get(gcs_id)

    def execution_by_id(self, gcs_id: str | None) -> LiveExecution | None:
        return self._executions_by_id.get(gcs_id) if gcs_id else None

    def find_execution(self, gcs_id: str | None, gcs_name: str | None) -> LiveExecution | None:
        """By id when known, else by exact name."""
        found = self.execution_by_id(gcs_id)
        if found is None and gcs_name:
            candidate = self.executions.get(gcs_name)
            if candidate is not None and (gcs_id is None or candidate.id == gcs_id):
                found = candidate
        return found

    def find_workflow(self, gcs_id: str | None, gcs_name: str | None) -> LiveWorkflow | None:
        found = self.workflow_by_id(gcs_id)
        if found is None and gcs_name and gcs_id is None:
            found = self.workflows.get(gcs_name)
        return found

    def users_of(self, workflow_id: str | None) -> frozenset:
        return self.users.get(workflow_id, frozenset()) if workflow_id else frozenset()


def listed_execution(item: dict | None) -> dict:
    """The ``execution`` object of an executions list item (``{}`` when there is none)."""
    return (item or {}).get("execution") or {}


def jobs_progress(item: dict) -> tuple[int | None, int | None]:
    """(jobs done, jobs total) of a listed execution, summed over its steps' sub-jobs."""
    steps = ((item.get("status") or {}).get("actual_node_status") or {}).values()
    counted = [step for step in steps if isinstance(step, dict) and "sub_job_num" in step]
    if not counted:
        return None, None
    return (sum(int(step.get("finished_sub_job_num") or 0) for step in counted),
            sum(int(step.get("sub_job_num") or 0) for step in counted))
