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
import stat
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.errors import StateError
from gcsapply.state.shapes import StrictJsonError, loads_strict, resources_problem, state_problem

__all__ = ["FORMAT_VERSION", "DAMAGED_HINT", "JOURNAL_NAME", "Binding", "FileStore", "State",
           "load_state", "read_file_bytes", "render_state", "resources_problem",
           "write_state_atomic", "write_text_atomic", "fsync_dir"]

FORMAT_VERSION = "1.0"
JOURNAL_NAME = "journal.jsonl"
DAMAGED_HINT = ("restore it from a backup (journal.jsonl beside it holds the recent changes), or "
                "move it away: runs are re-found by their labels, so a lost state never "
                "launches anything again")


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
                             where=where, hint=DAMAGED_HINT)
        problem = state_problem(data)
        if problem:
            raise StateError(f"malformed state document: {problem}", where=where,
                             hint=DAMAGED_HINT)
        binding = data.get("binding")
        return cls(
            binding=Binding(binding["endpoint"], binding["project_id"], binding["stack"])
            if binding else None,
            lineage=data.get("lineage"),
            serial=data.get("serial", 0),
            resources=dict(data.get("resources") or {}),
        )


class FileStore:
    """The local backend's storage: ``state.json`` and the journal beside it. Remote backends
    (:mod:`gcsapply.state.remote`) offer the same methods over a bucket."""

    name = "local"
    requires_base = False  # a local journal always continues the file beside it

    def __init__(self, path: Path):
        self.path = Path(path)
        self.journal_path = self.path.with_name(JOURNAL_NAME)
        self.where = str(self.path)

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def read(self) -> State:
        return load_state(self.path)

    def write(self, state: State) -> None:
        write_state_atomic(self.path, state)

    def journal_header(self) -> list[dict]:
        return []


def load_state(path: Path) -> State:
    """Read ``state.json``; a missing file is the empty state (no lineage, serial 0)."""
    path = Path(path)
    data = read_file_bytes(path, "the state file")
    if data is None:
        return State.empty()
    return parse_state_bytes(data, where=str(path), what="the state file")


def parse_state_bytes(data: bytes, *, where: str, what: str, hint: str = DAMAGED_HINT) -> State:
    """A state document's bytes (``what``: how messages name them), checked field by field;
    anything else is a :class:`StateError` at ``where`` with ``hint``."""
    try:
        document = loads_strict(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StateError(f"{what} is not UTF-8 text (byte {exc.start})", where=where,
                         hint=hint) from None
    except json.JSONDecodeError as exc:
        raise StateError(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}",
                         where=where, hint=hint) from None
    except StrictJsonError as exc:
        raise StateError(f"{what} is not valid JSON: {exc}", where=where, hint=hint) from None
    try:
        return State.from_json(document, where=where)
    except StateError as exc:
        exc.hint = hint
        raise


def read_file_bytes(path: Path, what: str) -> bytes | None:
    """The bytes of ``path``, or None when there is no such file. A FIFO, device or folder is
    refused unopened: reading it could block, or never end."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {what}: {exc.strerror}", where=str(path)) from exc
    if not stat.S_ISREG(mode):
        raise StateError(f"{what} is not a regular file", where=str(path),
                         hint="move it away: gcsapply keeps only regular files there")
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {what}: {exc.strerror}", where=str(path)) from exc


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
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
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
