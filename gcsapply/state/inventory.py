"""What a stack owns: the runs in its state, current and superseded.

Each managed run is either the current run of an address or one of its superseded runs
(``execution/<name>#<gcs name>``). ``status`` and ``outputs`` read these.
"""

from __future__ import annotations

from dataclasses import dataclass

from gcsapply.errors import StateError
from gcsapply.state.file import State


@dataclass(frozen=True)
class ManagedRun:
    address: str  # execution/<name>, or execution/<name>#<gcs name> for a superseded run
    gcs_id: str
    gcs_name: str
    superseded: bool = False


def managed_runs(state: State) -> list[ManagedRun]:
    runs = []
    for address, entry in sorted(state.resources.items()):
        if entry.get("kind") != "Execution":
            continue
        if entry.get("gcs_id"):
            runs.append(ManagedRun(address, entry["gcs_id"], entry.get("gcs_name") or ""))
        for old in entry.get("superseded") or []:
            if old.get("gcs_id"):
                runs.append(ManagedRun(f"{address}#{old.get('gcs_name')}", old["gcs_id"],
                                       old.get("gcs_name") or "", superseded=True))
    return runs


def find_run(state: State, address: str) -> ManagedRun:
    """The run at ``address`` (``execution/<name>`` or ``execution/<name>#<gcs name>``)."""
    for run in managed_runs(state):
        if run.address == address:
            return run
    known = ", ".join(run.address for run in managed_runs(state) if not run.superseded)
    raise StateError(f"no run at {address!r} in the state",
                     hint=f"runs in the state: {known or 'none (apply first)'}")
