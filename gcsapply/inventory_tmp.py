"""What a stack owns, for the read-only commands (``status``, ``outputs``, ``state``).

The inventory is the state file with the journal replayed; each managed run is either the
current run of an address or one of its superseded runs.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gcsapply.config import open_target
from gcsapply.config import state_path as configured_state_path
from gcsapply.errors import StateError
from gcsapply.manifest.build import load_stack
from gcsapply.state import read_current_state
from gcsapply.state.lock import LOCK_NAME


@dataclass(frozen=True)
class ManagedRun:
    address: str  # execution/<name>, or execution/<name>#<gcs name> for a superseded run
    gcs_id: str
    gcs_name: str
    superseded: bool = False


def stack_paths(root: Path) -> tuple[Path, Path]:
    """(state.json, state.lock) of the stack at ``root``, as its Stack manifest places them."""
    stack = load_stack(Path(root), allow_empty=True).desired.stack
    path = configured_state_path(stack)
    return path, path.with_name(LOCK_NAME)


def managed_runs(state) -> list[ManagedRun]:
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


def find_run(state, address: str) -> ManagedRun:
    """The run at ``address`` (``execution/<name>`` or ``execution/<name>#<gcs name>``)."""
    for run in managed_runs(state):
        if run.address == address:
            return run
    known = ", ".join(run.address for run in managed_runs(state) if not run.superseded)
    raise StateError(f"no run at {address!r} in the state",
                     hint=f"runs in the state: {known or 'none (apply first)'}")


def inventory_rows(state) -> list[str]:
    """One aligned line per address: address, kind, GCS name, id, and what else it tracks."""
    rows = []
    for address, entry in sorted(state.resources.items()):
        extra = []
        if entry.get("superseded"):
            extra.append(f"{len(entry['superseded'])} superseded")
        if entry.get("versions"):
            extra.append(f"{len(entry['versions'])} old versions")
        if entry.get("attempts"):
            extra.append(f"{entry['attempts']} retries")
        rows.append((address, entry.get("gcs_name") or "-", entry.get("gcs_id") or "-",
                     ", ".join(extra)))
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [f"{a:<{widths[0]}}  {n:<{widths[1]}}  {i:<{widths[2]}}  {x}".rstrip()
            for a, n, i, x in rows]


def describe_entry(address: str, entry: dict) -> str:
    """``state show``: the entry as indented ``key: value`` lines."""
    lines = [f"# {address}"]
    lines += _lines(entry, "")
    return "\n".join(lines) + "\n"


def _lines(value, indent: str) -> list[str]:
    lines = []
    for key in sorted(value):
        item = value[key]
        if isinstance(item, dict) and item:
            lines.append(f"{indent}{key}:")
            lines += _lines(item, indent + "  ")
        elif isinstance(item, list) and item and all(isinstance(i, dict) for i in item):
            lines.append(f"{indent}{key}:")
            for element in item:
                inner = _lines(element, indent + "    ")
                lines.append(indent + "  - " + inner[0].lstrip())
                lines += inner[1:]
        else:
            lines.append(f"{indent}{key}: {_scalar(item)}")
    return lines


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if value == {}:
        return "{}"
    if value == "":
        return '""'
    return str(value)


@contextmanager
def open_inventory(root: Path, *, clock=None, emulator_factory=None):
    """(stack, target, state) of the stack at ``root``; closes the target afterwards."""
    stack = load_stack(Path(root), allow_empty=True).desired.stack
    state, _ = read_current_state(configured_state_path(stack))
    target = open_target(stack, clock=clock, emulator_factory=emulator_factory)
    try:
        state.check_binding(target.binding, path=configured_state_path(stack))
        yield stack, target, state
    finally:
        target.close()
