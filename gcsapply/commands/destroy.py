"""``gcsapply destroy DIR``: remove what the stack manages, respecting deletion policies.

Runs under ``deletionPolicy: retain`` (the default) are forgotten, not deleted, unless
``--include-retained``; ``lifecycle.preventDestroy`` refuses the plan. Asks like ``apply``.
"""

from __future__ import annotations

from gcsapply.commands.console import terminal_console
from gcsapply.commands.options import (
    ALLOW_DELETES,
    AUTO_APPROVE,
    PARALLELISM,
    STACK_DIR,
    add_options,
    apply_settings,
    plan_options,
)
from gcsapply.engine.apply import run_apply


def add_arguments(parser) -> None:
    add_options(parser, STACK_DIR, AUTO_APPROVE)
    parser.add_argument("--include-retained", action="store_true",
                        help="also delete runs whose deletionPolicy is retain")
    add_options(parser, ALLOW_DELETES, PARALLELISM)


def run(args, *, clock=None, emulator_factory=None) -> int:
    settings = apply_settings(args, "destroy", args.dir)
    settings.plan_options = plan_options(args, destroy=True)
    return run_apply(args.dir, settings, terminal_console(), clock=clock,
                     emulator_factory=emulator_factory)
