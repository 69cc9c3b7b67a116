"""``state.json``: what the stack owns, bound to its target (DESIGN §3).

The state is a cache of the stack's inventory: per address the GCS id and name, the run key or
template digest, the fingerprint of the settings last applied, the ``deletionPolicy`` /
``runPolicy`` / ``preventDestroy`` last applied (a removed manifest is pruned by the policy it
last had), retry attempts, and the superseded runs and old workflow versions it still tracks.
Runs can be re-found from their labels, so a lost state never relaunches anything.

The document is ``schemas/state.schema.json``. It is written only by ``apply``/``destroy``,
atomically (temp file, fsync, rename); ``plan`` only reads.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.errors import StateError

FORMAT_VERSION = "1.0"


@dataclass(frozen=True)
class Binding:
    """The target a state belongs to. ``endpoint`` is ``embedded``, ``region:<r>`` or a URL."""

    endpoint: str
    project_id: str
    stack: str

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "project_id": self.project_id, "stack": self.stack}

    def describe(self) -> str:
        return f"endpoint {self.endpoint}, project {self.project_id}, stack {self.stack}"


@dataclass
class State:
    """The state document in memory. ``resources``: address -> entry (see state.entries)."""

    binding: Binding | None = None
    lineage: str | None = None
    serial: int = 0
    resources: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def empty(cls, binding: Binding | None = None) -> "State":
        """No state yet: no lineage, serial 0 (a plan of a fresh stack is deterministic)."""
        return cls(binding=binding)

    @classmethod
    def new(cls, binding: Binding) -> "State":
        """The state the first apply writes: a fresh lineage."""
        return cls(binding=binding, lineage=str(uuid.uuid4()), serial=0)

    def entry(self, address: str) -> dict | None:
        return self.resources.get(address)

    def copy(self) -> "State":
        return State(self.binding, self.lineage, self.serial, copy.deepcopy(self.resources))

    def check_binding(self, binding: Binding, *, path: Path | str | None = None) -> None:
        """Refuse a state written for another endpoint, project or stack."""
        if self.binding is None or self.binding == binding:
            return
        differences = [f"{name} {getattr(self.binding, name)!r} (now {getattr(binding, name)!r})"
                       for name in ("endpoint", "project_id", "stack")
                       if getattr(self.binding, name) != getattr(binding, name)]
        raise StateError(
            "the state file belongs to another target: " + ", ".join(differences),
            where=str(path) if path else None,
            hint="point the stack back at its target, or move the state file away to start a "
                 "new inventory (runs are re-found by their labels)")

    def to_json(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "binding": self.binding.to_json() if self.binding else None,
            "lineage": self.lineage,
            "serial": self.serial,
            "resources": {address: self.resources[address] for address in sorted(self.resources)},
        }

    @classmethod
    def from_json(cls, data: dict, *, where: str | None = None) -> "State":
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise StateError("not a gcsapply state document (format_version 1.0 expected)",
                             where=where, hint="restore the file from a backup or move it away")
        binding = data.get("binding")
        resources = data.get("resources") or {}
        problem = resources_problem(resources)
        if problem:
            raise StateError(f"malformed state document: {problem}", where=where,
                             hint="restore the file from a backup or move it away")
        try:
            return cls(
                binding=Binding(binding["endpoint"], binding["project_id"], binding["stack"])
                if binding else None,
                lineage=data.get("lineage"),
                serial=int(data.get("serial", 0)),
                resources=dict(resources),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"malformed state document: {exc}", where=where,
                             hint="restore the file from a backup or move it away") from exc


def resources_problem(resources) -> str | None:
    """The first shape problem plan and apply would trip over (cheap: no schema validation,
    which would cost more than a 10,000-run plan may spend)."""
    if not isinstance(resources, dict):
        return "resources must map addresses to objects"
    for address, entry in resources.items():
        if not isinstance(entry, dict):
            return f"resources must map addresses to objects ({address} does not)"
        for name in ("superseded", "versions"):
            records = entry.get(name)
            if records is not None and not (isinstance(records, list) and all(
                    isinstance(r, dict) for r in records)):
                return f"{address}: {name} must be a list of objects"
        attempts = entry.get("attempts")
        if attempts is not None and (not isinstance(attempts, int) or isinstance(attempts, bool)):
            return f"{address}: attempts must be a whole number"
    return None


def load_state(path: Path) -> State:
    """Read ``state.json``; a missing file is the empty state (no lineage, serial 0)."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return State.empty()
    except OSError as exc:
        raise StateError(f"cannot read the state file: {exc.strerror}", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise StateError(f"the state file is not UTF-8 text (byte {exc.start})", where=str(path),
                         hint="restore it from a backup; journal.jsonl beside it holds the "
                              "recent changes") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"the state file is not valid JSON: {exc.msg} at line {exc.lineno}",
                         where=str(path),
                         hint="restore it from a backup; journal.jsonl beside it holds the "
                              "recent changes") from exc
    return State.from_json(data, where=str(path))


def render_state(state: State) -> str:
    return json.dumps(state.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def write_state_atomic(path: Path, state: State) -> None:
    """Write ``state`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render_state(state))


def write_text_atomic(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
