"""Open a stack: load -> state -> target -> binding. The one pipeline every command uses.

``plan``, ``apply`` (a directory or a saved plan), ``destroy``, ``status``, ``outputs`` and
``state`` all start here, in the same order:

1. load and validate the manifests under the stack directory, and resolve the target's
   endpoint, credentials and trust (bad input raises, nothing is opened, locked or sent);
2. open the state backend ``spec.state`` names (:mod:`gcsapply.state.backend`: ``state.json``
   and ``state.lock`` in the stack, or a state object and a lock object in a bucket; the
   journal is always local);
3. take the lock, for the commands that change GCS (``apply``, ``destroy``);
4. read the state with the journal replayed (pending entries are kept for apply to resolve);
5. open the target (endpoint, project, credentials; the embedded emulator starts here) and
   refuse a state bound to another target.

A :class:`Workspace` is a context manager: closing it closes the session, stops an embedded
emulator and releases the lock. Only :func:`open_target` and the lock holder write files, and
only under ``.gcsapply/``: its ``.gitignore`` and the embedded emulator's database.
"""

from __future__ import annotations

import gc
import os
import shlex
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.config import state_credentials, state_store_url, state_token_refusal
from gcsapply.errors import InputError, StateError
from gcsapply.live.fetch import fetch_live
from gcsapply.manifest.build import LoadedStack, load_stack, no_manifests
from gcsapply.manifest.model import DesiredStack, StackSpec
from gcsapply.plan.build import build_plan, run_keys
from gcsapply.plan.model import Plan, PlanOptions
from gcsapply.state.backend import StateBackend, local_state_files, open_backend
from gcsapply.state.file import State
from gcsapply.state.journal import current_state, pending_entries, read_current_state, stale_journal
from gcsapply.state.lease import SETTLE_SECONDS
from gcsapply.workspace.target import EmulatorFactory, Target, open_target, resolve_target, work_dir

__all__ = ["EmulatorFactory", "Target", "Workspace", "fewer_collections", "make_plan",
           "open_state_backend", "open_target", "open_workspace", "resolve_target", "work_dir"]


@dataclass
class Workspace:
    """A stack opened for one command: what was loaded, the state, and the target."""

    root: Path
    loaded: LoadedStack
    backend: StateBackend
    state: State
    pending: list[dict]  # journal entries of unknown outcome, for apply to resolve
    target: Target | None = None  # None when opened with connect=False
    lock: object | None = None  # held when opened with lock_command (StateLock or LeaseLock)
    notes: list[str] = field(default_factory=list)  # for stderr: a held lock, pending entries

    @property
    def desired(self) -> DesiredStack:
        return self.loaded.desired

    @property
    def stack(self) -> StackSpec:
        return self.loaded.desired.stack

    @property
    def state_path(self) -> Path | None:
        """The local state file (None for a remote backend)."""
        return getattr(self.backend, "path", None)

    def close(self) -> None:
        try:
            if self.target is not None:
                self.target.close()
        finally:
            if self.lock is not None:
                if _calls_may_still_land(self.backend, self.lock):
                    self.lock.abandon()  # expires after its lease: nobody plans before they land
                self.lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_workspace(root: Path, *, allow_empty: bool = False, connect: bool = True,
                   lock_command: str | None = None, clock=None,
                   emulator_factory: EmulatorFactory | None = None,
                   environ: Mapping[str, str] | None = None, stop_event=None,
                   migrating: bool = False) -> Workspace:
    """Open the stack under ``root`` (the steps in this module's docstring). Raises on bad
    input, a held lock, a damaged state or a state bound to another target. ``migrating``
    (``state migrate``) leaves the local state and journal alone for the command to move.

    ``allow_empty`` lets a tree without manifests through while its state holds something (a
    resource, a pending journal entry, a lock): ``destroy`` of removed manifests, ``status``,
    ``outputs`` and ``state`` of what is left. With nothing, it is refused like ``plan``."""
    root = Path(root)
    environ = os.environ if environ is None else environ
    loaded = load_stack(root, allow_empty=allow_empty)
    stack = loaded.desired.stack
    if connect:
        resolve_target(stack, environ)
    backend = open_state_backend(stack, environ)
    held = _refuse_empty(root, loaded, backend)
    lock = None
    if lock_command is not None:
        lock = backend.lock(lock_command, unlock_hint_dir=str(root), clock=clock,
                            on_lost=_stopper(stop_event))
        lock.acquire()
    workspace = Workspace(root, loaded, backend, State.empty(), [], lock=lock)
    try:
        workspace.state, workspace.pending = _read_state(workspace, migrating)
        if loaded.empty and not held and not workspace.state.resources and not workspace.pending:
            raise _nothing_here(root, backend.where)
        if lock is not None:
            work_dir(stack)  # .gcsapply/.gitignore, for every endpoint and backend
        if lock is None:
            workspace.notes = _lock_notes(backend, clock) + _pending_notes(workspace.pending) \
                + workspace.notes
        if connect:
            workspace.target = open_target(stack, clock=clock, emulator_factory=emulator_factory,
                                           environ=environ, stop_event=stop_event)
            workspace.state.check_binding(workspace.target.binding, path=backend.where)
            if backend.requires_base:  # the Target line names a shared state
                workspace.target.description += f"; {backend.describe()}"
    except BaseException:
        workspace.close()
        raise
    return workspace


def open_state_backend(stack: StackSpec, environ: Mapping[str, str]) -> StateBackend:
    """The backend ``spec.state`` names, its credentials and trust checked first (a remote one
    imports boto3, the extra ``gcsapply[obs]``)."""
    files = local_state_files(stack)
    _refuse_linked_state_files(files)
    credentials = state_credentials(stack, environ)
    return open_backend(stack, environ=environ, credentials=credentials,
                        endpoint=state_store_url(stack, environ),
                        token_refusal=state_token_refusal(stack, environ))


def _refuse_empty(root: Path, loaded: LoadedStack, backend: StateBackend) -> bool:
    """Whether a lock is held; a tree with no manifests and no state is refused before the lock
    or the emulator creates a file."""
    if not loaded.empty:
        return False
    held = backend.read_lock() is not None
    if not held and not backend.exists() and not os.path.lexists(backend.journal_path):
        raise _nothing_here(root, backend.where)
    return held


def _read_state(workspace: Workspace, migrating: bool) -> tuple[State, list[dict]]:
    """The stored state with the journal replayed. A remote state's journal that another
    runner's apply made stale is ignored by a plan and set aside by the lock holder; a remote
    state that does not exist yet while a local state file does is refused (``state migrate``)."""
    backend, lock = workspace.backend, workspace.lock
    if not backend.requires_base:
        return read_current_state(backend)
    stored = backend.read()
    if migrating:
        return stored, []
    local = Path(workspace.stack.root) / workspace.stack.state_path
    if not stored.lineage and not stored.resources and local.is_file():
        message = (f"the stack keeps its state in {backend.where}, which is empty, and a "
                   f"local state file {workspace.stack.state_path} exists")
        if lock is not None:
            raise StateError(message, hint="move it to the bucket once with 'gcsapply state "
                             f"migrate {shlex.quote(str(workspace.root))}'")
        workspace.notes.append(f"warning: {message}; run 'gcsapply state migrate' before "
                               "the next apply")
    journal = backend.open_journal()
    entries = journal.replay()
    why = stale_journal(backend, stored, entries)
    if why is not None:
        # what it did is in the stored state or adopted by labels; its calls of unknown outcome
        # are still resolved by lookups (they may land yet), never by sending them again
        if lock is not None:
            kept = journal.set_aside()
            if pending_entries(entries):  # kept to be resolved by lookups, under a fresh base line
                backend.open_journal().rewrite(backend.journal_header() + pending_entries(entries))
            lock.warnings.append(f"the journal {backend.journal_path} does not continue the "
                                 f"stored state ({why}); it was set aside as {kept.name}, "
                                 "and what it recorded is adopted by labels")
        else:
            workspace.notes.append(f"note: the local journal does not continue the stored "
                                   f"state ({why}); the next apply sets it aside")
        return stored, pending_entries(entries)
    return current_state(stored, entries, where=str(backend.journal_path))


def _calls_may_still_land(backend: StateBackend, lock) -> bool:
    """Whether this process leaves calls of unknown outcome, sent so recently that they may
    still land, which only its local journal knows: a shared lock must then not be released
    (:meth:`gcsapply.state.lease.LeaseLock.abandon`)."""
    if not backend.requires_base or not hasattr(lock, "abandon") or not lock.held:
        return False
    try:
        pending = backend.open_journal().pending()
    except StateError:
        return True  # the journal cannot be read: keep the lock to its lease, to be safe
    now = lock.clock.now()
    return any(not isinstance(entry.get("at"), (int, float)) or now - entry["at"] < SETTLE_SECONDS
               for entry in pending)


def _stopper(stop_event):
    """What a lost lock does: start nothing new (the engine stops as on Ctrl-C)."""
    def lost(message: str) -> None:
        if stop_event is not None:
            stop_event.set()
    return lost


def _nothing_here(root: Path, where: str) -> InputError:
    """A tree with no manifests is a stack only while its state holds something (DESIGN §2):
    ``status``, ``outputs``, ``state`` and ``destroy`` of a mistyped directory refuse like
    ``plan`` does, and create nothing."""
    return no_manifests(root, "manifests are YAML files with 'apiVersion: gcsapply/v1', and "
                        f"there is no state at {where} either: give the stack's directory")


def _refuse_linked_state_files(files) -> None:
    """gcsapply creates state.json, its journal and its lock itself and never follows a link
    there: a committed ``journal.jsonl -> /elsewhere`` would be read, and appended to by the
    next apply, outside the stack (DESIGN §7b)."""
    for file in files:
        if os.path.islink(file):
            raise StateError(f"{file.name} is a symbolic link; gcsapply writes it itself and "
                             "never follows a link there", where=str(file),
                             hint="remove the link (and keep state files out of version control)")


def make_plan(workspace: Workspace, options: PlanOptions) -> Plan:
    """List what GCS holds (the plan's only reads) and build the plan from it."""
    desired, templates, target = workspace.desired, workspace.loaded.templates, workspace.target
    keys = run_keys(desired)
    live = fetch_live(target.api, desired, workspace.state, page_size=desired.stack.page_size,
                      templates=templates, keys=keys)
    return build_plan(desired, live, workspace.state, options, templates=templates,
                      target_line=target.description, keys=keys)


@contextmanager
def fewer_collections(threshold: int = 50_000):
    """Run a plan with the cyclic garbage collector mostly out of the way.

    Planning allocates many small, acyclic objects (a record, a view and a change per run);
    the default collector thresholds make it rescan them over and over, a quarter of the CPU
    of a 10,000-run plan. Objects alive on entry are frozen; settings are restored on exit.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _lock_notes(backend: StateBackend, clock) -> list[str]:
    holder = backend.read_lock(clock=clock)
    if holder is None:
        return []
    return [f"warning: the state is locked by {holder.describe()}; an apply may be changing "
            "GCS right now, so this plan may already be out of date"]


def _pending_notes(pending: list[dict]) -> list[str]:
    if not pending:
        return []
    addresses = ", ".join(sorted({e.get("address", "?") for e in pending}))
    return [f"note: {len(pending)} journal entr{'y' if len(pending) == 1 else 'ies'} of unknown "
            f"outcome ({addresses}); the next apply resolves them by exact-name lookup, and "
            "this plan already shows what GCS holds"]
