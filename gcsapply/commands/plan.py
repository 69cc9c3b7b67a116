"""``gcsapply plan DIR``: show what ``apply`` would change in GCS (DESIGN §4).

Text by default (``Target: ...`` first), ``--json`` (stdout is only the plan document) or
``--markdown`` (for a pull request); with those two the ``Target:`` line and notes go to
stderr. ``--out FILE`` also saves the plan for ``gcsapply apply FILE``.
``--detailed-exitcode``: 0 no change, 1 error, 2 changes. Plan never writes state.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gcsapply.commands.options import JSON, PLAN_OPTIONS, STACK_DIR, add_options, plan_options
from gcsapply.diagnostics import sort_diagnostics
from gcsapply.errors import EXIT_CHANGES, EXIT_OK, UsageError
from gcsapply.plan.saved import relative_stack_dir
from gcsapply.render.markdown import render_markdown
from gcsapply.render.plan_text import render_json, render_saved_plan, render_text
from gcsapply.state.file import write_text_atomic
from gcsapply.workspace import fewer_collections, make_plan, open_workspace


def add_arguments(parser) -> None:
    add_options(parser, STACK_DIR)
    shape = parser.add_mutually_exclusive_group()
    add_options(shape, JSON)
    shape.add_argument("--markdown", action="store_true", help="print the plan as Markdown")
    parser.add_argument("--out", metavar="FILE", type=Path,
                        help="also save the plan for 'gcsapply apply FILE'")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 0 without changes, 2 with changes, 1 on error")
    add_options(parser, *PLAN_OPTIONS)


def run(args, *, clock=None, emulator_factory=None) -> int:
    options = plan_options(args)
    machine = args.json or args.markdown
    with fewer_collections(), open_workspace(args.dir, allow_empty=options.destroy, clock=clock,
                                             emulator_factory=emulator_factory) as workspace:
        plan = make_plan(workspace, options)
        if args.out is not None:  # first: a plan that cannot be saved prints nothing
            saved = render_saved_plan(plan, stack_dir=relative_stack_dir(args.dir),
                                      files=workspace.loaded.files, options=options,
                                      binding=workspace.target.binding.to_json())
            _save(args.out, saved)
        for diagnostic in sort_diagnostics(workspace.loaded.diagnostics):
            print(diagnostic.render(), file=sys.stderr)
        if machine:
            print(plan.target_line, file=sys.stderr)
        for note in workspace.notes:
            print(note, file=sys.stderr)
        if args.json:
            sys.stdout.write(render_json(plan))
        elif args.markdown:
            sys.stdout.write(render_markdown(plan))
        else:
            sys.stdout.write(render_text(plan, colour=_colour()))
        if args.out is not None:
            print(f"Saved the plan to {args.out}; apply exactly this plan with "
                  f"'gcsapply apply {args.out}'.", file=sys.stderr if machine else sys.stdout)
    if args.detailed_exitcode and plan.has_changes():
        return EXIT_CHANGES
    return EXIT_OK


def _save(path: Path, text: str) -> None:
    try:
        write_text_atomic(path.resolve(), text)
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror or exc}",
                         hint="--out takes the path of a file in a writable directory") from exc


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ

