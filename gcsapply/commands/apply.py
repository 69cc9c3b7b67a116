"""``gcsapply apply DIR|FILE``: make GCS match the manifests, or apply a saved plan.

``apply DIR`` plans, shows the plan and asks ``Do you want to perform these actions?`` (only
``yes`` approves; ``--auto-approve`` skips the question; without a terminal it is required).
``apply FILE`` applies a plan saved with ``plan --out FILE``, refusing with ``stale plan`` when
the state or GCS moved since, and refusing plan options. ``--wait`` follows the launched runs;
it never cancels one.
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
from gcsapply.plan.saved import read_saved_plan, saved_options, saved_stack_dir, stale_plan_check
from gcsapply.render.plan_text import plan_document


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="DIR|FILE", type=Path,
                        help="a stack directory, or a plan saved with 'gcsapply plan --out'")
    add_options(parser, AUTO_APPROVE, PARALLELISM, WAIT, TIMEOUT, *PLAN_OPTIONS)


def run(args, *, clock=None, emulator_factory=None) -> int:
    settings = apply_settings(args, "apply", args.path)
    root = args.path
    if args.path.is_file():
        saved = read_saved_plan(args.path)
        refuse_plan_options(args)
        settings.saved_plan, settings.plan_options = saved, saved_options(saved)
        settings.saved_plan_path = args.path
        settings.check_saved = stale_plan_check(args.path, plan_document)
        root = saved_stack_dir(saved)
    else:
        settings.plan_options = plan_options(args)
    return run_apply(root, settings, terminal_console(), clock=clock,
                     emulator_factory=emulator_factory)
