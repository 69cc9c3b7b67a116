"""``gcsapply wait [DIR] [--timeout DURATION] [--json]``: wait for the stack's runs to finish.

It waits for the runs :func:`gcsapply.engine.wait.runs_to_wait_for` chooses and judges them as
``apply --wait`` does: exit 0 when every one Succeeded, 1 when one Failed, was Cancelled or
vanished, or when ``--timeout`` passed. Ctrl-C stops waiting, never the runs.

The runs are the current run of every execution in the state, those that ended before the
wait included (a CI re-run must not pass while a run it launched failed). Superseded runs,
recorded inside the entries, are not waited for: a new run key replaced each of them, the
manifests no longer ask for their results, and one that failed would otherwise fail every
wait of the stack for good (``status`` still shows them). A run whose manifest says
``desiredState: cancelled`` is left out too: Cancelled is then what was asked for.
``--json`` prints one document (``schemas/wait.schema.json``): each run as last seen and the
verdict; the progress then goes to stderr. Read-only, like ``status``: no lock, no state write.
"""

from __future__ import annotations

import sys
import threading

from gcsapply.clock import SystemClock
from gcsapply.commands.options import JSON, OPTIONAL_STACK_DIR, TIMEOUT, add_options
from gcsapply.engine.wait import (
    WaitResult,
    check_verdict,
    follow_runs,
    render_wait_json,
    runs_to_wait_for,
)
from gcsapply.errors import EXIT_OK
from gcsapply.workspace import open_workspace


def add_arguments(parser) -> None:
    add_options(parser, OPTIONAL_STACK_DIR, TIMEOUT, JSON)


def run(args, *, clock=None, emulator_factory=None) -> int:
    clock = clock or SystemClock()
    stop = threading.Event()  # set by the first Ctrl-C/SIGTERM: stop waiting, never the runs
    with open_workspace(args.dir, allow_empty=True, clock=clock, emulator_factory=emulator_factory,
                        stop_event=stop) as workspace:
        target = workspace.target
        say = _printer(sys.stderr if args.json else sys.stdout)
        say(target.description)
        for note in workspace.notes:  # a held lock, launches of unknown outcome: not yet judged
            print(note, file=sys.stderr)
        targets = runs_to_wait_for(workspace.state, workspace.desired)
        if not targets:
            say("No runs in this stack: nothing to wait for.")
            result = WaitResult()
        else:
            say(f"Waiting for {len(targets)} run(s); Ctrl-C stops waiting, never the runs.")
            result = follow_runs(target.api, targets, clock=clock, stop=stop, write=say,
                                 tty=not args.json and sys.stdout.isatty(), timeout=args.timeout)
        if args.json:
            sys.stdout.write(render_wait_json(workspace.stack.name, result))
        check_verdict(result, args.dir)
        if targets:
            say(f"All {len(result.runs)} run(s) succeeded.")
    return EXIT_OK


def _printer(stream):
    def say(text: str) -> None:
        print(text, end="" if text.endswith("\n") else "\n", file=stream, flush=True)
    return say
