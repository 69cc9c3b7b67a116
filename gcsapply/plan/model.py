"""The plan's data types (DESIGN §4): import them from :mod:`gcsapply.plan.build`.

The action vocabulary is closed (:class:`Action`); the reason is for display only and never
steers apply (:class:`Reason`).

Addresses are ``<kind lowercased>/<metadata.name>``. Runs superseded by a new run key and old
content versions of a workflow keep their owner's address plus ``#<gcs name>``
(``execution/na12878#na12878-3f2a9c1d``, ``workflow/germline#germline-0badc0de``), so every
address still has exactly one change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gcsapply.live.model import LiveExecution, LiveWorkflow
from gcsapply.manifest.model import KIND_EXECUTION, KIND_WORKFLOW, ExecutionSpec, WorkflowSpec

__all__ = ["ACTION_ORDER", "KIND_EXECUTION", "KIND_WORKFLOW", "Action", "Change", "Cost", "Drift",
           "FieldDiff", "Plan", "PlanOptions", "PlanWarning", "Reason"]


class Action(StrEnum):
    """What apply does to one address. The values appear verbatim in JSON, logs and tests."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    RETRY = "retry"
    CANCEL = "cancel"
    DELETE = "delete"
    FORGET = "forget"
    NOOP = "noop"


class Reason(StrEnum):
    """Why: shown to the reader, never used by apply to decide anything."""

    NEW = "new"
    FIELDS_CHANGED = "fields-changed"
    NEW_VERSION = "new-version"
    RUN_KEY_CHANGED = "run-key-changed"
    PREVIOUS_RUN_FAILED = "previous-run-failed"
    REMOVED_FROM_MANIFESTS = "removed-from-manifests"
    SUPERSEDED = "superseded"
    DELETED_OUTSIDE = "deleted-outside"
    IN_USE = "in-use"
    POLICY_CHANGED = "policy-changed"
    REQUESTED = "requested"
    DESIRED_CANCELLED = "desired-cancelled"


# Order of the summary line and of every per-action listing.
ACTION_ORDER = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.RETRY, Action.CANCEL,
                Action.DELETE, Action.FORGET, Action.NOOP)


@dataclass(frozen=True)
class FieldDiff:
    """One changed field: ``path: before -> after`` (path dotted, ``[i]`` for list items)."""

    path: str
    before: object
    after: object


@dataclass(frozen=True)
class Change:
    """The planned action on one address.

    ``before`` is the canonical view of the live object (None when absent); ``after`` the
    desired view (None when the object goes away or is left alone). ``desired`` and ``live``
    carry the spec and the live object the change was decided from, for apply (which decides
    what to send from them, never from ``diff``); they are never serialised. A workflow's
    ``live.digest`` is the digest the plan compared (read, or vouched for by the state).
    """

    address: str
    kind: str  # "Workflow" | "Execution"
    name: str  # metadata.name
    gcs_name: str | None
    gcs_id: str | None
    action: Action
    reason: Reason | None
    before: dict | None
    after: dict | None
    diff: tuple[FieldDiff, ...] = ()
    depends_on: tuple[str, ...] = ()  # addresses whose changes must succeed first
    desired: WorkflowSpec | ExecutionSpec | None = field(default=None, compare=False, repr=False)
    live: LiveWorkflow | LiveExecution | None = field(default=None, compare=False, repr=False)

    @property
    def owner(self) -> str:
        """The manifest address this change belongs to (drops a ``#<gcs name>`` suffix)."""
        return self.address.split("#", 1)[0]

    @property
    def is_version(self) -> bool:
        """A superseded run or an old workflow version, tracked under its owner's address."""
        return "#" in self.address


@dataclass(frozen=True)
class Drift:
    """Something changed in GCS behind gcsapply's back: ``deleted-outside`` (a run this stack
    launched is gone), ``duplicate-run`` (several runs share one name and this stack's labels)."""

    address: str
    observation: str
    detail: str


@dataclass(frozen=True)
class PlanWarning:
    address: str  # a resource's, or ``stack/<name>`` for the whole stack ("foreign-run")
    code: str  # kebab-case, e.g. "applies-to-next-run", "retry-uses-old-version"
    message: str


@dataclass(frozen=True)
class Cost:
    """What the plan launches: runs (creates + retries), the jobs they expand to, resources.

    ``lower_bound`` is True when some figure is a minimum (``get_result`` fan-outs, runs of a
    workflow given by id whose template is not in the stack).
    """

    launches: int = 0
    jobs: int = 0
    vcpu: float = 0.0
    memory_gb: float = 0.0
    lower_bound: bool = False
    deletes: int = 0


@dataclass(frozen=True)
class PlanOptions:
    """Command-line choices that shape a plan."""

    targets: tuple[str, ...] = ()  # --target ADDR (repeatable); empty = everything
    replace: tuple[str, ...] = ()  # --replace ADDR (workflows only)
    relaunch_missing: bool = False  # --relaunch-missing
    allow_launches: int | None = None  # --allow-launches N: raises maxLaunchesPerApply to N
    allow_deletes: int | None = None  # --allow-deletes N: raises maxDeletesPerApply to N
    destroy: bool = False  # plan the removal of the whole inventory (``destroy``)
    include_retained: bool = False  # destroy: also delete what deletionPolicy retains

    def to_json(self) -> dict:
        return {"targets": list(self.targets), "replace": list(self.replace),
                "relaunch_missing": self.relaunch_missing,
                "allow_launches": self.allow_launches, "allow_deletes": self.allow_deletes,
                "destroy": self.destroy, "include_retained": self.include_retained}

    @classmethod
    def from_json(cls, data: dict) -> "PlanOptions":
        return cls(targets=tuple(data.get("targets", ())), replace=tuple(data.get("replace", ())),
                   relaunch_missing=bool(data.get("relaunch_missing", False)),
                   allow_launches=data.get("allow_launches"),
                   allow_deletes=data.get("allow_deletes"),
                   destroy=bool(data.get("destroy", False)),
                   include_retained=bool(data.get("include_retained", False)))


@dataclass(frozen=True)
class Plan:
    stack_name: str
    lineage: str | None  # None before the first apply created a state
    serial: int
    changes: tuple[Change, ...]  # one per address, sorted by kind then address
    drift: tuple[Drift, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    cost: Cost = Cost()
    target_line: str = ""  # "Target: ..." (display only, not in JSON)

    def summary(self) -> dict[Action, int]:
        counts = {action: 0 for action in ACTION_ORDER}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    def has_changes(self) -> bool:
        return any(c.action is not Action.NOOP for c in self.changes)

    def change(self, address: str) -> Change | None:
        for candidate in self.changes:
            if candidate.address == address:
                return candidate
        return None
