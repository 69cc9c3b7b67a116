"""``gcsapply apply DIR|FILE`` and ``apply --reviewed FILE DIR``: make GCS match the manifests,
or apply a saved plan.

``apply DIR`` plans, shows the plan and asks ``Do you want to perform these actions?`` (only
``yes`` approves; ``--auto-approve`` skips the question; without a terminal it is required).
``apply FILE`` applies a plan saved with ``plan --out FILE`` to its stack directory (saved
relative to where ``plan`` ran, so found from the current directory), refusing with ``stale
plan`` when the state or GCS moved since, and refusing plan options. ``apply --reviewed FILE
DIR`` applies a reviewed plan to DIR, another copy of the stack: it re-plans DIR with the
plan's options and applies when the changes are the same, even if the state moved since
(:mod:`gcsapply.plan.reviewed`). Neither asks: the plan was reviewed. ``--wait`` follows the
launched runs; it never cancels one.
"""

from __future__ import annotations

from pathlib import Path

from gcsapply.commands.console import terminal_console
from gcsapply.commands.options import (
    AUTO_APPROVE,
    PARALLELISM,
    PLAN_OPTIONS,
    TIMEOUT,
    WAIT,
    add_options,
    apply_settings,
    plan_options,
    refuse_plan_options,
)
from gcsapply.engine.apply import run_apply
from gcsapply.errors import UsageError
from gcsapply.manifest.build import load_stack
from gcsapply.plan.reviewed import as_applied_to, reviewed_plan_check
from gcsapply.plan.saved import read_saved_plan, saved_options, saved_stack_dir, stale_plan_check
from gcsapply.render.plan_text import plan_document

REVIEWED_USAGE = "gcsapply apply --reviewed FILE DIR"


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="DIR|FILE", type=Path, nargs="?",
                        help="a stack directory, or a plan saved with 'gcsapply plan --out' "
                             "(with --reviewed: the stack directory to apply FILE to)")
    parser.add_argument("--reviewed", metavar="FILE", type=Path,
                        help="apply the reviewed plan FILE to the stack directory given: "
                             "re-plan it now with FILE's options and apply, without asking, only "
                             "if the changes are the same (the state may have moved since)")
    add_options(parser, AUTO_APPROVE, PARALLELISM, WAIT, TIMEOUT, *PLAN_OPTIONS)


def run(args, *, clock=None, emulator_factory=None) -> int:
    if args.path is None:
        if args.reviewed is not None:
            raise UsageError(f"apply --reviewed needs the stack directory to apply the plan to: "
                             f"'{REVIEWED_USAGE}'", hint="run 'gcsapply apply --help' for usage")
        raise UsageError("apply takes a stack directory, or a plan saved with 'gcsapply plan "
                         "--out'", hint="run 'gcsapply apply --help' for usage")
    settings = apply_settings(args, "apply", args.path)
    root = args.path
    if args.reviewed is not None:
        root = _reviewed(args, settings)
    elif args.path.is_file():
        saved = read_saved_plan(args.path)
        refuse_plan_options(args)
        settings.saved_plan, settings.plan_options = saved, saved_options(saved)
        settings.saved_plan_path = args.path
        settings.check_saved = stale_plan_check(args.path, plan_document)
        root = saved_stack_dir(saved, args.path)
    else:
        settings.plan_options = plan_options(args)
    return run_apply(root, settings, terminal_console(), clock=clock,
                     emulator_factory=emulator_factory)


def _reviewed(args, settings) -> Path:
    """``apply --reviewed FILE DIR``: the settings that re-plan DIR with FILE's options and
    check that it makes the same changes; returns DIR."""
    plan_file, root = args.reviewed, args.path
    if root.is_file():
        raise UsageError(f"apply --reviewed applies the plan to a stack directory, and {root} is "
                         f"a file: '{REVIEWED_USAGE}'", hint="run 'gcsapply apply --help' for usage")
    saved = read_saved_plan(plan_file)
    refuse_plan_options(args)
    settings.command_line = f"gcsapply apply --reviewed {plan_file} {root}"
    settings.saved_plan, settings.plan_options = as_applied_to(saved, root), saved_options(saved)
    settings.saved_plan_path = plan_file
    settings.check_saved = reviewed_plan_check(plan_file, root, plan_document,
                                               lambda: load_stack(root, allow_empty=True).files)
    return root
