"""``gcsapply status [DIR] [--json] [--usage]``: the stack's runs as GCS shows them now.

One executions listing, whatever the number of runs; ``--usage`` adds peak CPU and memory for
at most 50 runs (one monitoring call each). ``DIR`` is the stack directory, the current
directory when omitted. Read-only: no lock, no state write.
"""

from __future__ import annotations

import sys

from gcsapply.commands.options import JSON, OPTIONAL_STACK_DIR, add_options
from gcsapply.errors import EXIT_OK
from gcsapply.live.status import collect_status
from gcsapply.render.status import render_status_json, render_status_text
from gcsapply.workspace import open_workspace


def add_arguments(parser) -> None:
    add_options(parser, OPTIONAL_STACK_DIR, JSON)
    parser.add_argument("--usage", action="store_true",
                        help="add peak CPU and memory per run (at most 50 runs)")


def run(args, *, clock=None, emulator_factory=None) -> int:
    with open_workspace(args.dir, allow_empty=True, clock=clock,
                        emulator_factory=emulator_factory) as workspace:
        target = workspace.target
        rows = collect_status(target.api, workspace.state, usage=args.usage)
        if args.json:
            print(target.description, file=sys.stderr)
            sys.stdout.write(render_status_json(workspace.stack.name, rows))
        else:
            print(target.description)
            sys.stdout.write(render_status_text(rows))
    return EXIT_OK
