"""Open a stack: load -> state -> target -> binding. The one pipeline every command uses.

``plan``, ``apply`` (a directory or a saved plan), ``destroy``, ``status``, ``outputs`` and
``state`` all start here, in the same order:

1. load and validate the manifests under the stack directory, and resolve the target's
   endpoint, credentials and trust (bad input raises, nothing is opened, locked or sent);
2. place ``state.json``, ``journal.jsonl`` and ``state.lock`` as the Stack manifest says;
3. take the lock, for the commands that change GCS (``apply``, ``destroy``);
4. read the state with the journal replayed (pending entries are kept for apply to resolve);
5. open the target (endpoint, project, credentials; the embedded emulator starts here) and
   refuse a state bound to another target.

A :class:`Workspace` is a context manager: closing it closes the session, stops an embedded
emulator and releases the lock. Only :func:`open_target` writes files, and only under
``.gcsapply/``: its ``.gitignore`` and the embedded emulator's database.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession
from gcsapply.config import (
    EMBEDDED,
    EMULATOR_DB,
    Credentials,
    Endpoint,
    check_trusted_target,
    endpoint_where,
    resolve_credentials,
    resolve_endpoint,
    resolve_project_id,
    resolve_region,
    state_path,
)
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.errors import ConfigError, InputError, StateError
from gcsapply.live.fetch import fetch_live
from gcsapply.manifest.build import LoadedStack, load_stack, no_manifests
from gcsapply.manifest.model import DesiredStack, StackSpec
from gcsapply.plan.build import build_plan, run_keys
from gcsapply.plan.model import Plan, PlanOptions
from gcsapply.state.file import Binding, State
from gcsapply.state.journal import JOURNAL_NAME, read_current_state
from gcsapply.state.lock import LOCK_NAME, StateLock, read_lock

EmulatorFactory = Callable[[Path], EmulatorServer]


@dataclass
class Target:
    """An open connection to the stack's GCS. ``close()`` stops an embedded emulator."""

    api: GcsApi
    session: GcsSession
    endpoint: str  # what state is bound to: "embedded" or the URL
    url: str  # where requests go
    project_id: str
    stack_name: str
    description: str  # the "Target: ..." line
    emulator: EmulatorServer | None = None

    @property
    def binding(self) -> Binding:
        return Binding(self.endpoint, self.project_id, self.stack_name)

    def close(self) -> None:
        self.session.close()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Workspace:
    """A stack opened for one command: what was loaded, the state, and the target."""

    root: Path
    loaded: LoadedStack
    state_path: Path
    state: State
    pending: list[dict]  # journal entries of unknown outcome, for apply to resolve
    target: Target | None = None  # None when opened with connect=False
    lock: StateLock | None = None  # held when opened with lock_command
    notes: list[str] = field(default_factory=list)  # for stderr: a held lock, pending entries

    @property
    def desired(self) -> DesiredStack:
        return self.loaded.desired

    @property
    def stack(self) -> StackSpec:
        return self.loaded.desired.stack

    @property
    def lock_path(self) -> Path:
        return self.state_path.with_name(LOCK_NAME)

    def close(self) -> None:
        try:
            if self.target is not None:
                self.target.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_workspace(root: Path, *, allow_empty: bool = False, connect: bool = True,
                   lock_command: str | None = None, clock=None,
                   emulator_factory: EmulatorFactory | None = None,
                   environ: Mapping[str, str] | None = None, stop_event=None) -> Workspace:
    """Open the stack under ``root`` (the steps in this module's docstring). Raises on bad
    input, a held lock, a damaged state or a state bound to another target.

    ``allow_empty`` lets a tree without manifests through while its state holds something (a
    resource, a pending journal entry, a lock): ``destroy`` of removed manifests, ``status``,
    ``outputs`` and ``state`` of what is left. With nothing, it is refused like ``plan``."""
    root = Path(root)
    loaded = load_stack(root, allow_empty=allow_empty)
    stack = loaded.desired.stack
    if connect:
        resolve_target(stack, os.environ if environ is None else environ)
    path = state_path(stack)
    _refuse_linked_state_files(path)
    held = os.path.lexists(path.with_name(LOCK_NAME))
    if loaded.empty and not held and not any(os.path.lexists(file) for file in
                                             (path, path.with_name(JOURNAL_NAME))):
        raise _nothing_here(root, path)  # before the lock or the emulator creates a file
    lock = None
    if lock_command is not None:
        lock = StateLock(path.with_name(LOCK_NAME), lock_command, unlock_hint_dir=str(root))
        lock.acquire()
    workspace = Workspace(root, loaded, path, State.empty(), [], lock=lock)
    try:
        workspace.state, workspace.pending = read_current_state(path)
        if loaded.empty and not held and not workspace.state.resources and not workspace.pending:
            raise _nothing_here(root, path)
        if lock is None:
            workspace.notes = _lock_notes(workspace.lock_path) + _pending_notes(workspace.pending)
        if connect:
            workspace.target = open_target(stack, clock=clock, emulator_factory=emulator_factory,
                                           environ=environ, stop_event=stop_event)
            workspace.state.check_binding(workspace.target.binding, path=path)
    except BaseException:
        workspace.close()
        raise
    return workspace


def _nothing_here(root: Path, path: Path) -> InputError:
    """A tree with no manifests is a stack only while its state holds something (DESIGN §2):
    ``status``, ``outputs``, ``state`` and ``destroy`` of a mistyped directory refuse like
    ``plan`` does, and create nothing."""
    return no_manifests(root, "manifests are YAML files with 'apiVersion: gcsapply/v1', and "
                        f"there is no state at {path} either: give the stack's directory")


def _refuse_linked_state_files(path: Path) -> None:
    """gcsapply creates state.json, its journal and its lock itself and never follows a link
    there: a committed ``journal.jsonl -> /elsewhere`` would be read, and appended to by the
    next apply, outside the stack (DESIGN §7b)."""
    for file in (path, path.with_name(JOURNAL_NAME), path.with_name(LOCK_NAME)):
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


def open_target(stack: StackSpec, *, clock=None, emulator_factory: EmulatorFactory | None = None,
                environ: Mapping[str, str] | None = None, stop_event=None,
                verify: bool = True) -> Target:
    """Resolve endpoint, project and credentials (:mod:`gcsapply.config`) and open a session.

    A password, an IAM token or a security token is refused for a host that is not trusted
    (``config.check_trusted_target``, DESIGN §7b) before anything is sent."""
    environ = os.environ if environ is None else environ
    if stack.endpoint == EMBEDDED:
        return _open_embedded(stack, clock, emulator_factory, stop_event)
    endpoint, credentials = resolve_target(stack, environ)
    project_id = resolve_project_id(stack, environ)
    if credentials.kind == "aksk":
        if not project_id:
            raise ConfigError(
                "AK/SK signing needs a project id", hint="set spec.projectId in the Stack "
                "manifest, or HW_PROJECT_ID (HUAWEICLOUD_SDK_PROJECT_ID)")
        auth = AkSkAuth(credentials.access_key, credentials.secret_key, project_id,
                        credentials.security_token, clock=clock)
        how = f"AK/SK from {credentials.source}"
    else:
        auth = TokenAuth(endpoint.iam_url, credentials.user, credentials.password,
                         credentials.domain, project_name=resolve_region(stack, environ),
                         project_id=project_id, verify=verify, clock=clock)
        if not project_id:
            auth.token()
            project_id = auth.token_project_id
        how = f"IAM token from {credentials.source}"
    session = GcsSession(endpoint.url, auth, reads_per_minute=stack.reads_per_minute,
                         writes_per_minute=stack.writes_per_minute, clock=clock, verify=verify,
                         stop_event=stop_event)
    description = f"Target: {endpoint.shown}, project {project_id}, stack {stack.name} ({how})"
    return Target(GcsApi(session), session, endpoint.url, endpoint.url, project_id, stack.name,
                  description)


def resolve_target(stack: StackSpec,
                   environ: Mapping[str, str]) -> tuple[Endpoint | None, Credentials | None]:
    """The endpoint and credentials of a stack (``(None, None)`` for ``embedded``), refusing
    missing credentials and secrets bound for an untrusted host. Pure: sends and writes nothing."""
    if stack.endpoint == EMBEDDED:
        return None, None
    endpoint = resolve_endpoint(stack, environ)
    credentials = resolve_credentials(environ)
    if credentials is None:
        raise ConfigError(
            f"no credentials for {endpoint.shown}",
            where=endpoint_where(stack),
            hint="set HW_ACCESS_KEY and HW_SECRET_KEY (or HUAWEICLOUD_SDK_AK and "
                 "HUAWEICLOUD_SDK_SK), or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME; "
                 "endpoint: embedded needs none")
    check_trusted_target(stack, endpoint, credentials, environ)
    return endpoint, credentials


def work_dir(stack: StackSpec) -> Path:
    """``.gcsapply/`` beside the Stack manifest (in DIR without one), created with its own
    ``.gitignore`` (``*``)."""
    path = Path(stack.root) / stack.work_dir
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path


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


def _open_embedded(stack: StackSpec, clock, emulator_factory, stop_event) -> Target:
    db_path = work_dir(stack) / EMULATOR_DB
    factory = emulator_factory or _default_emulator
    emulator = factory(db_path)
    try:
        auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID,
                        clock=clock or emulator.clock)
        session = GcsSession(emulator.url, auth, reads_per_minute=stack.reads_per_minute,
                             writes_per_minute=stack.writes_per_minute, clock=clock,
                             stop_event=stop_event)
    except BaseException:
        emulator.stop()
        raise
    description = (f"Target: embedded emulator ({stack.work_dir}/{EMULATOR_DB}), project "
                   f"{EMBEDDED_PROJECT_ID}, stack {stack.name}")
    return Target(GcsApi(session), session, EMBEDDED, emulator.url, EMBEDDED_PROJECT_ID,
                  stack.name, description, emulator)


def _default_emulator(db_path: Path) -> EmulatorServer:
    return EmulatorServer(db_path).start()


def _lock_notes(path: Path) -> list[str]:
    holder = read_lock(path)
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
