"""``gcsapply state list|show|unlock DIR``: read the inventory, or release a stale lock.

``list`` and ``show`` read ``state.json`` with the journal replayed (what the next plan sees)
and never write or talk to GCS; ``--json`` prints the entries as they are stored. ``unlock``
removes ``state.lock`` whoever holds it — use it only when the holder is gone.
"""

from __future__ import annotations

import json
import sys

from gcsapply.commands.options import ADDRESS, JSON, STACK_DIR, add_options
from gcsapply.errors import EXIT_OK, StateError
from gcsapply.render.state import describe_entry, inventory_rows
from gcsapply.state.lock import force_unlock
from gcsapply.workspace import open_workspace


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)
    listing = sub.add_parser("list", help="list the addresses in the state")
    add_options(listing, STACK_DIR, JSON)
    show = sub.add_parser("show", help="show one address's state entry")
    add_options(show, STACK_DIR, ADDRESS, JSON)
    unlock = sub.add_parser("unlock", help="remove state.lock (when its holder is gone)")
    add_options(unlock, STACK_DIR)


def run(args) -> int:
    workspace = open_workspace(args.dir, allow_empty=True, connect=False)
    state_path, lock_path = workspace.state_path, workspace.lock_path
    if args.state_command == "unlock":
        holder = force_unlock(lock_path)
        if holder is None:
            print(f"No lock to release: {lock_path} does not exist.")
        else:
            print(f"Released the lock held by {holder.describe()}.")
        return EXIT_OK
    state, pending = workspace.state, workspace.pending
    if args.state_command == "list":
        if args.json:
            print(json.dumps({"format_version": "1.0", "lineage": state.lineage,
                              "serial": state.serial,
                              "resources": [{"address": a, **e} for a, e in
                                            sorted(state.resources.items())]},
                             indent=2, ensure_ascii=False))
            return EXIT_OK
        rows = inventory_rows(state)
        if not rows:
            print(f"The state at {state_path} is empty.")
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
                         where=str(state_path), hint=f"addresses in the state: {known}")
    if args.json:
        print(json.dumps({"address": args.address, **entry}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(describe_entry(args.address, entry))
    return EXIT_OK

