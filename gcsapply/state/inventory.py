"""What a stack owns: the runs in its state, current and superseded.

Each managed run is either the current run of an address or one of its superseded runs
(``execution/<name>#<gcs name>``). ``status`` and ``outputs`` read these.
"""

from __future__ import annotations

import difflib
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
    """The run at ``address`` (``execution/<name>`` or ``execution/<name>#<gcs name>``); a
    StateError with a did-you-mean when there is none."""
    runs = managed_runs(state)
    for run in runs:
        if run.address == address:
            return run
    raise StateError(f"no run at {address!r} in the state", hint=_did_you_mean(address, runs))


def _did_you_mean(address: str, runs: list[ManagedRun]) -> str:
    if not runs:
        return "the state holds no run yet: apply first"
    if "/" in address and not address.startswith("execution/"):
        return "a run's address starts with execution/; " + _did_you_mean(
            "execution/" + address.split("/", 1)[1], runs)
    # compared without the kind: every address starts with "execution/", and "na12878" alone
    # should find execution/na12878
    by_name = {run.address.split("/", 1)[-1]: run.address for run in runs}
    close = difflib.get_close_matches(address.split("/", 1)[-1], list(by_name), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(by_name[name] for name in close) + "?"
    current = [run.address for run in runs if not run.superseded]
    shown = ", ".join(current[:10]) + (f" and {len(current) - 10} more" if len(current) > 10 else "")
    return f"runs in the state: {shown}"
