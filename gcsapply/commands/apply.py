"""``gcsapply apply DIR|FILE``: make GCS match the manifests, or apply a saved plan.

``apply DIR`` plans, shows the plan and asks ``Do you want to perform these actions?`` (only
``yes`` approves; ``--auto-approve`` skips the question; without a terminal it is required).
``apply FILE`` applies a plan saved with ``plan --out FILE``, refusing with ``stale plan`` when
the state or GCS moved since. ``--wait`` follows the launched runs; it never cancels one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from gcsapply.commands.plan import options_from
from gcsapply.engine.apply import ApplySettings, Console, run_apply
from gcsapply.engine.wait import parse_timeout
from gcsapply.engine.waves import MAX_PARALLELISM
from gcsapply.errors import StalePlanError, UsageError
from gcsapply.plan.build import PlanOptions
from gcsapply.render.plan_text import compare_saved
from gcsapply.schemas import load_schema


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="DIR|FILE", type=Path,
                        help="a stack directory, or a plan saved with 'gcsapply plan --out'")
    parser.add_argument("--auto-approve", action="store_true",
                        help="apply without asking (required when stdin is not a terminal)")
    add_engine_arguments(parser)
    add_plan_option_arguments(parser)


def add_engine_arguments(parser) -> None:
    parser.add_argument("--parallelism", type=int, metavar="N",
                        help="calls in flight at once, 1-64 (default: the Stack's, else 10)")
    parser.add_argument("--wait", action="store_true",
                        help="follow launched runs until they finish (never cancels them)")
    parser.add_argument("--timeout", type=parse_timeout, metavar="DURATION",
                        help="with --wait: give up waiting after 90s, 30m, 2h or N seconds; "
                             "the runs continue in GCS")


def add_plan_option_arguments(parser) -> None:
    parser.add_argument("--target", action="append", default=[], metavar="ADDR",
                        help="only this address (repeatable); pulls in the workflows it needs")
    parser.add_argument("--replace", action="append", default=[], metavar="ADDR",
                        help="re-create this workflow (runs: change rerunToken instead)")
    parser.add_argument("--relaunch-missing", action="store_true",
                        help="launch again runs that were deleted outside gcsapply")
    parser.add_argument("--allow-launches", type=int, metavar="N",
                        help="raise limits.maxLaunchesPerApply to N for this apply")
    parser.add_argument("--allow-deletes", type=int, metavar="N",
                        help="raise limits.maxDeletesPerApply to N for this apply")


def run(args, *, clock=None, emulator_factory=None) -> int:
    settings = engine_settings(args, "apply")
    if args.path.is_file():
        saved = _read_saved_plan(args.path)
        _refuse_plan_options(args)
        settings.saved_plan = saved
        settings.plan_options = PlanOptions.from_json(saved["saved"].get("options") or {})
        settings.check_saved = _check_saved(args.path)
        root = Path(saved["saved"]["stack_dir"])
    else:
        settings.plan_options = options_from(args)
        root = args.path
    return run_apply(root, settings, terminal_console(), clock=clock,
                     emulator_factory=emulator_factory)


def engine_settings(args, verb: str) -> ApplySettings:
    if args.timeout is not None and not args.wait:
        raise UsageError("--timeout only applies with --wait")
    if args.parallelism is not None and not 1 <= args.parallelism <= MAX_PARALLELISM:
        raise UsageError(f"--parallelism must be between 1 and {MAX_PARALLELISM}, "
                         f"not {args.parallelism}")
    return ApplySettings(command_line=" ".join(["gcsapply", verb, str(args.path)]),
                         auto_approve=args.auto_approve, parallelism=args.parallelism,
                         wait=args.wait, timeout=args.timeout)


def terminal_console() -> Console:
    def out(text: str) -> None:
        print(text, end="" if text.endswith("\n") else "\n", flush=True)

    def err(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def ask(prompt: str) -> str:
        print(prompt, end="", flush=True)
        line = sys.stdin.readline()
        return line if line else ""

    stdout_tty = sys.stdout.isatty()
    return Console(out=out, err=err, ask=ask, stdin_is_tty=sys.stdin.isatty(),
                   stdout_is_tty=stdout_tty,
                   colour=stdout_tty and not os.environ.get("NO_COLOR"))


def _read_saved_plan(path: Path) -> dict:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is neither a stack directory nor a saved plan: {exc}",
                         hint="save a plan with 'gcsapply plan DIR --out FILE'") from exc
    if not isinstance(document, dict) or not isinstance(document.get("saved"), dict):
        raise UsageError(f"{path} is not a saved plan (no 'saved' section)",
                         hint="save a plan with 'gcsapply plan DIR --out FILE'")
    # a damaged or hand-edited file is refused here, not met as a crash while comparing
    problem = best_match(Draft202012Validator(load_schema("plan")).iter_errors(document))
    if problem is not None:
        where = "/".join(str(part) for part in problem.absolute_path) or "(top)"
        raise UsageError(f"{path} is not a valid saved plan: at {where}: {problem.message}",
                         hint="save a plan with 'gcsapply plan DIR --out FILE'")
    return document


def _refuse_plan_options(args) -> None:
    given = [flag for flag, value in (("--target", args.target), ("--replace", args.replace),
                                      ("--relaunch-missing", args.relaunch_missing),
                                      ("--allow-launches", args.allow_launches),
                                      ("--allow-deletes", args.allow_deletes)) if value]
    if given:
        raise UsageError(f"{', '.join(given)} cannot change a saved plan",
                         hint="give the options to 'gcsapply plan --out' instead")


def _check_saved(path: Path):
    def check(saved: dict, fresh) -> None:
        problems = compare_saved(saved, fresh)
        if problems:
            raise StalePlanError(
                "stale plan: " + "; ".join(problems), where=str(path),
                hint="a saved plan applies at most once and only to the state it was made "
                     "against; run 'gcsapply plan --out' again")
    return check
