"""``gcsapply state list|show|pull|push|migrate|unlock DIR``: the stack's inventory.

``list`` and ``show`` read the state with the journal replayed (what the next plan sees) and
never write or talk to GCS; ``--json`` prints the entries as they are stored. ``pull`` prints
the stored state document. ``push FILE`` writes a state document to the backend (a
compare-and-swap on a remote one); a lineage change or a serial that does not move forward
needs ``--force``. ``migrate`` moves the local state to the bucket the Stack now names, once,
keeping the local file as a backup. ``unlock`` removes the lock: ``--lock-id ID`` removes it only
while it is still that lock (required for a shared lock); use it only when the holder is gone.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from gcsapply.commands.options import ADDRESS, JSON, STACK_DIR, add_options
from gcsapply.errors import EXIT_OK, StateError, UsageError
from gcsapply.render.state import describe_entry, inventory_rows
from gcsapply.state.backend import LocalBackend, push_state
from gcsapply.state.file import JOURNAL_NAME, load_state, render_state
from gcsapply.state.journal import Journal, compact, pending_entries
from gcsapply.state.lock import LOCK_NAME, StateLock
from gcsapply.state.remote import parse_state
from gcsapply.workspace import Workspace, open_workspace

MIGRATED_SUFFIX = ".migrated"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="list the addresses in the state")
    add_options(listing, STACK_DIR, JSON)
    show = sub.add_parser("show", help="show one address's state entry")
    add_options(show, STACK_DIR, ADDRESS, JSON)
    pull = sub.add_parser("pull", help="print the stored state document")
    add_options(pull, STACK_DIR)
    push = sub.add_parser("push", help="write a state document to the backend (compare-and-swap)")
    add_options(push, STACK_DIR)
    push.add_argument("file", metavar="FILE", type=Path, help="the state document to store")
    push.add_argument("--force", action="store_true",
                      help="also replace a state of another lineage, or a newer serial")
    migrate = sub.add_parser("migrate", help="move the local state to the bucket the Stack names")
    add_options(migrate, STACK_DIR)
    unlock = sub.add_parser("unlock", help="remove the lock (when its holder is gone)")
    add_options(unlock, STACK_DIR)
    unlock.add_argument("--lock-id", metavar="ID",
                        help="remove the lock only if it is still this one (needed for a shared lock)")


def run(args) -> int:
    command = args.state_command
    if command in ("push", "migrate"):
        return _write(args)
    workspace = open_workspace(args.dir, allow_empty=True, connect=False)
    backend = workspace.backend
    if command == "unlock":
        holder = backend.unlock(args.lock_id)
        if holder is None:
            print(f"No lock to release: {backend.where} is not locked.")
        else:
            print(f"Released the lock held by {holder.describe()}.")
        return EXIT_OK
    if command == "pull":
        sys.stdout.write(render_state(backend.read()))
        return EXIT_OK
    state, pending = workspace.state, workspace.pending
    if command == "list":
        if args.json:
            print(json.dumps({"format_version": "1.0", "lineage": state.lineage,
                              "serial": state.serial,
                              "resources": [{"address": a, **e} for a, e in
                                            sorted(state.resources.items())]},
                             indent=2, ensure_ascii=False))
            return EXIT_OK
        rows = inventory_rows(state)
        if not rows:
            print(f"The state at {backend.where} is empty.")
        for row in rows:
            print(row)
        if pending:
            print(f"{len(pending)} journal entries are pending; the next apply resolves them.",
                  file=sys.stderr)
        return EXIT_OK
    entry = state.entry(args.address)
    if entry is None:
        known = ", ".join(sorted(state.resources)) or "none"
        raise StateError(f"no address {args.address!r} in the state",
                         where=backend.where, hint=f"addresses in the state: {known}")
    if args.json:
        print(json.dumps({"address": args.address, **entry}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(describe_entry(args.address, entry))
    return EXIT_OK


def _write(args) -> int:
    """``push`` and ``migrate``: under the lock, like an apply."""
    command_line = f"gcsapply state {args.state_command} {shlex.quote(str(args.dir))}"
    with open_workspace(args.dir, allow_empty=True, connect=False, lock_command=command_line,
                        migrating=args.state_command == "migrate") as workspace:
        for warning in workspace.lock.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if args.state_command == "push":
            return _push(workspace, args.file, force=args.force)
        return _migrate(workspace)


def _push(workspace: Workspace, file: Path, *, force: bool) -> int:
    backend = workspace.backend
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}",
                         hint="state push takes a state document, e.g. from 'gcsapply state pull'") from exc
    state = parse_state(data, str(file))
    if workspace.pending:
        raise StateError(f"{len(workspace.pending)} journal entries of unknown outcome are "
                         "pending in this directory", where=str(backend.journal_path),
                         hint="run 'gcsapply apply' first: it resolves them")
    pushed = push_state(backend, state, force=force)
    print(f"Pushed the state (lineage {pushed.lineage}, serial {pushed.serial}, "
          f"{len(pushed.resources)} addresses) to {backend.where}.")
    return EXIT_OK


def _migrate(workspace: Workspace) -> int:
    """Fold the local journal into the local state file, store it in the bucket with a
    create-only write (refused when a state is already there), and keep the file as a backup.
    Journal entries of unknown outcome move to the remote state's journal, under its ``base``
    line, so the next apply resolves them by lookups instead of setting them aside."""
    backend, stack = workspace.backend, workspace.stack
    if isinstance(backend, LocalBackend):
        raise UsageError("state migrate moves a local state to a bucket, and this stack's "
                         "backend is local", hint="set spec.state.backend: obs (or s3) and "
                         "spec.state.bucket in the Stack first")
    local = Path(stack.root) / stack.state_path
    if not local.is_file():
        raise StateError(f"there is no local state to migrate at {stack.state_path}",
                         hint="a stack without local state needs no migration: apply it")
    if backend.exists():
        raise StateError(f"{backend.where} already holds a state; migrate runs once and never "
                         "overwrites", hint="compare the two with 'gcsapply state pull', and push "
                         "the right one with 'gcsapply state push DIR FILE --force'")
    with StateLock(local.with_name(LOCK_NAME), "gcsapply state migrate",
                   unlock_hint_dir=str(workspace.root)):  # no local apply may run meanwhile
        return _migrate_locked(workspace, local)


def _migrate_locked(workspace: Workspace, local: Path) -> int:
    backend = workspace.backend
    local_journal = Journal(local.with_name(JOURNAL_NAME))
    state = compact(local) if local_journal.path.exists() else load_state(local)
    pending = pending_entries(local_journal.replay())  # calls of unknown outcome travel along
    backend.write(state)
    if pending or backend.journal_path != local_journal.path:
        backend.open_journal().rewrite(backend.journal_header() + pending if pending else [])
        if backend.journal_path != local_journal.path and local_journal.path.exists():
            local_journal.path.replace(local_journal.path.with_name(JOURNAL_NAME + MIGRATED_SUFFIX))
    backup = local.with_name(local.name + MIGRATED_SUFFIX)
    local.replace(backup)
    print(f"Migrated the state (lineage {state.lineage}, serial {state.serial}, "
          f"{len(state.resources)} addresses) to {backend.where}; the local file is kept as "
          f"{backup.name}.")
    return EXIT_OK
