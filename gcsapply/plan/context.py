"""What the plan builders share: the inputs of one :func:`~gcsapply.plan.build.build_plan` call and
the pieces each builder returns. Plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from gcsapply.live.model import LiveState
from gcsapply.manifest.model import DesiredStack
from gcsapply.manifest.names import versioned_name
from gcsapply.plan.model import Change, Drift, PlanOptions, PlanWarning
from gcsapply.plan.views import WorkflowVersion
from gcsapply.state.file import State


@dataclass
class PlanContext:
    desired: DesiredStack
    live: LiveState
    state: State
    options: PlanOptions
    versions: dict[str, WorkflowVersion] = field(default_factory=dict)  # spec.workflow -> version
    workflow_changes: dict[str, Change] = field(default_factory=dict)  # current-version changes
    _keys: dict = field(default_factory=dict, repr=False)

    def key(self, spec) -> str:
        """The run key of ``spec``, computed once per plan (it hashes canonical JSON)."""
        key = self._keys.get(spec.address)
        if key is None:
            key = self._keys[spec.address] = spec.key
        return key

    def gcs_name(self, spec) -> str:
        return versioned_name(spec.name, self.key(spec))

    @property
    def stack_name(self) -> str:
        return self.desired.stack.name

    def wanted_executions(self) -> dict:
        """The executions kept: none when destroying."""
        return {} if self.options.destroy else self.desired.executions

    def wanted_workflows(self) -> dict:
        return {} if self.options.destroy else self.desired.workflows

    def state_entries(self, kind: str) -> dict:
        return {address: entry for address, entry in self.state.resources.items()
                if entry.get("kind") == kind}


@dataclass
class Section:
    """What one builder produced."""

    changes: list[Change] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def extend(self, other: "Section") -> None:
        self.changes += other.changes
        self.drift += other.drift
        self.warnings += other.warnings
        self.refusals += other.refusals


def run_keys(desired: DesiredStack) -> dict[str, str]:
    """address -> run key for every execution: computed once per command and shared by
    ``fetch_live`` and ``build_plan`` (each key hashes canonical JSON)."""
    return {address: spec.key for address, spec in desired.executions.items()}
