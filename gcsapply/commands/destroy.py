"""``gcsapply destroy DIR``: remove what the stack manages, respecting deletion policies.

Runs under ``deletionPolicy: retain`` (the default) are forgotten, not deleted, unless
``--include-retained``; ``lifecycle.preventDestroy`` refuses the plan. Asks like ``apply``.
"""

from __future__ import annotations

from pathlib import Path

from gcsapply.commands.apply import engine_settings, terminal_console
from gcsapply.engine.apply import run_apply
from gcsapply.plan.build import PlanOptions


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="DIR", type=Path, help="the stack directory")
    parser.add_argument("--auto-approve", action="store_true",
                        help="destroy without asking (required when stdin is not a terminal)")
    parser.add_argument("--include-retained", action="store_true",
                        help="also delete runs whose deletionPolicy is retain")
    parser.add_argument("--allow-deletes", type=int, metavar="N",
                        help="raise limits.maxDeletesPerApply to N for this destroy")
    parser.add_argument("--parallelism", type=int, metavar="N",
                        help="calls in flight at once, 1-64 (default: the Stack's, else 10)")


def run(args, *, clock=None, emulator_factory=None) -> int:
    args.wait, args.timeout = False, None
    settings = engine_settings(args, "destroy")
    settings.plan_options = PlanOptions(destroy=True, include_retained=args.include_retained,
                                        allow_deletes=args.allow_deletes)
    return run_apply(args.path, settings, terminal_console(), clock=clock,
                     emulator_factory=emulator_factory)
