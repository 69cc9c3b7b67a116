"""Where a stack's state lives: the backends of ``spec.state`` (DESIGN §3).

Every backend offers the same small surface, which the workspace, the recorder and the
``state`` command use without knowing which one it is:

* ``read()`` / ``write(state)`` / ``exists()``: the stored state. The local backend writes
  atomically (temp file, fsync, rename); a remote one compares-and-swaps on the object's ETag.
* ``journal_path`` / ``journal_header()`` / ``requires_base``: the journal, always a local file
  (fsync speed); a remote state's journal starts with a ``base`` line naming the state it
  continues (:func:`gcsapply.state.journal.stale_journal`).
* ``lock(command, ...)``: the lock ``apply``/``destroy`` hold; ``read_lock()`` for ``plan``'s
  note; ``unlock(lock_id)`` for ``gcsapply state unlock``.
* ``describe()``: how the ``Target:`` line names the state.

:class:`LocalBackend` is ``state.json``, ``journal.jsonl`` and ``state.lock`` in a folder of the
stack (the default, unchanged). ``obs`` and ``s3`` are :class:`gcsapply.state.remote.RemoteBackend`,
imported only when a Stack asks for one: boto3 is the optional extra ``gcsapply[obs]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from gcsapply.diagnostics import excerpt
from gcsapply.errors import StateError
from gcsapply.manifest.model import RemoteStateSpec, StackSpec
from gcsapply.state.file import JOURNAL_NAME, FileStore, State
from gcsapply.state.journal import Journal
from gcsapply.state.lock import LOCK_NAME, LockHolder, StateLock, force_unlock, read_lock


class StateLockView(Protocol):
    """Who holds a lock, as ``plan`` and error messages show it."""

    def describe(self) -> str: ...


class StateBackend(Protocol):
    name: str  # "local" | "obs" | "s3"
    journal_path: Path
    requires_base: bool
    where: str  # how errors name the state: a path, or obs://bucket/key

    def describe(self) -> str: ...
    def exists(self) -> bool: ...
    def read(self) -> State: ...
    def write(self, state: State) -> None: ...
    def journal_header(self) -> list[dict]: ...
    def lock(self, command: str, *, unlock_hint_dir: str, clock=None, on_lost=None): ...
    def read_lock(self, *, clock=None) -> StateLockView | None: ...
    def unlock(self, lock_id: str | None) -> StateLockView | None: ...


class LocalBackend(FileStore):
    """``state.json`` (``spec.state.path``), its journal and ``state.lock`` beside it."""

    def __init__(self, path: Path, *, shown: str | None = None):
        super().__init__(path)
        self.lock_path = self.path.with_name(LOCK_NAME)
        self._shown = shown or str(self.path)

    def describe(self) -> str:
        return f"state {self._shown}"

    def open_journal(self, *, clock=None) -> Journal:
        return Journal(self.journal_path, clock=clock, header=self.journal_header)

    def lock(self, command: str, *, unlock_hint_dir: str, clock=None, on_lost=None) -> StateLock:
        return StateLock(self.lock_path, command, unlock_hint_dir=unlock_hint_dir)

    def read_lock(self, *, clock=None) -> LockHolder | None:
        return read_lock(self.lock_path)

    def unlock(self, lock_id: str | None) -> LockHolder | None:
        """Remove ``state.lock``: whoever holds it, or only if its id is ``lock_id``."""
        if lock_id is not None:
            holder = read_lock(self.lock_path)
            if holder is None:
                return None
            if holder.token != lock_id:
                raise StateError(f"the lock is not {lock_id!r}: it is now held by "
                                 f"{holder.describe()}", where=str(self.lock_path),
                                 hint="give the id the error of the apply that was refused "
                                      "showed, or leave --lock-id out to remove any lock")
        return force_unlock(self.lock_path)


def push_state(backend: StateBackend, state: State, *, force: bool = False) -> State:
    """``state push``: store ``state`` over the stored one (a compare-and-swap on a remote
    object); a lineage change or a serial that does not move forward needs ``force``, which
    moves the serial above the stored one. Returns what was stored."""
    current = backend.read()
    stored = backend.exists()
    if stored and not force:
        if current.lineage is not None and state.lineage != current.lineage:
            raise StateError(
                f"the state to push has lineage {excerpt(str(state.lineage))}, the stored "
                f"one {excerpt(str(current.lineage))}", where=backend.where,
                hint="it belongs to another inventory; add --force only if it should "
                     "replace this one")
        if state.serial <= current.serial:
            raise StateError(
                f"the state to push has serial {state.serial}, not above the stored "
                f"{current.serial}", where=backend.where,
                hint="pull the state, edit that, and push it (its serial is then moved "
                     "forward), or add --force to put an older state back")
    pushed = state.copy()
    if force and stored:
        pushed.serial = max(state.serial, current.serial + 1)
    backend.write(pushed)
    return pushed


def local_state_files(stack: StackSpec) -> tuple[Path, ...]:
    """The files of the stack's state on this disk: ``state.json``, its journal and
    ``state.lock`` for the local backend; only the journal for a remote one."""
    if stack.remote_state is None:
        path = Path(stack.root) / stack.state_path
        return path, path.with_name(JOURNAL_NAME), path.with_name(LOCK_NAME)
    return (remote_journal_path(stack),)


def remote_journal_path(stack: StackSpec) -> Path:
    return Path(stack.root) / stack.work_dir / JOURNAL_NAME


def open_backend(stack: StackSpec, *, environ: Mapping[str, str], credentials=None,
                 endpoint: str | None = None, token_refusal: Exception | None = None) -> StateBackend:
    """The backend ``spec.state`` names. A remote one needs the optional extra; its absence is
    a clear error naming it. ``credentials`` (obs) and ``endpoint`` (the store's URL) are
    resolved by the caller (:mod:`gcsapply.workspace`, which also checks trust);
    ``token_refusal`` is raised if boto3's chain (``s3``) finds a session token for an
    untrusted store."""
    remote: RemoteStateSpec | None = stack.remote_state
    if remote is None:
        return LocalBackend(Path(stack.root) / stack.state_path, shown=stack.state_path)
    from gcsapply.state.remote import RemoteBackend  # boto3 only when a bucket is configured

    return RemoteBackend(remote, journal_path=remote_journal_path(stack),
                         environ=environ, credentials=credentials, endpoint=endpoint,
                         token_refusal=token_refusal)
