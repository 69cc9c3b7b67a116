"""Every argument more than one command takes, defined once (pip's ``cmdoptions`` is the model).

A command adds what it takes with :func:`add_options`; name, metavar, type and help live here,
so ``plan``, ``apply`` and ``destroy`` accept and refuse the same values with the same message.
Values are checked once, by the argparse ``type``, which raises :class:`UsageError` (exit 1)
naming the flag. :func:`plan_options` and :func:`apply_settings` turn parsed arguments into
what the core takes.

The plan options (:data:`PLAN_OPTIONS`) default to None, meaning "not given", so ``apply FILE``
refuses any of them whatever its value (:func:`refuse_plan_options`): a saved plan is applied
exactly as it was made.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gcsapply.engine.apply import ApplySettings
from gcsapply.engine.wait import parse_timeout
from gcsapply.engine.waves import MAX_PARALLELISM
from gcsapply.errors import UsageError
from gcsapply.plan.model import PlanOptions


class Option:
    """One argument as ``add_argument`` takes it, written once and added to many parsers."""

    def __init__(self, *names: str, **settings):
        self.names = names
        self.settings = settings

    @property
    def flag(self) -> str:
        return self.names[0]

    @property
    def dest(self) -> str:
        return self.settings.get("dest") or self.flag.lstrip("-").replace("-", "_")

    def add_to(self, parser) -> None:
        parser.add_argument(*self.names, **self.settings)


def add_options(parser, *options: Option) -> None:
    for option in options:
        option.add_to(parser)


def _count(flag: str) -> Callable[[str], int]:
    """A number of changes, 0 or more (``--allow-launches``, ``--allow-deletes``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{flag} must be a number of changes >= 0, not {text!r}") from None
        if value < 0:
            raise UsageError(f"{flag} must be a number of changes >= 0, not {value}")
        return value
    return parse


def _parallelism(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--parallelism must be between 1 and {MAX_PARALLELISM}, "
                         f"not {text!r}") from None
    if not 1 <= value <= MAX_PARALLELISM:
        raise UsageError(f"--parallelism must be between 1 and {MAX_PARALLELISM}, not {value}")
    return value


STACK_DIR = Option("dir", metavar="DIR", type=Path, help="the stack directory")
OPTIONAL_STACK_DIR = Option("dir", metavar="DIR", type=Path, nargs="?", default=Path("."),
                            help="the stack directory (default: the current directory)")
ADDRESS = Option("address", metavar="ADDR",
                 help="an address, e.g. execution/na12878 (a superseded run: "
                      "execution/na12878#GCS-NAME)")
JSON = Option("--json", action="store_true",
              help="print JSON instead of text (stdout holds only the document)")
AUTO_APPROVE = Option("--auto-approve", action="store_true",
                      help="do not ask before changing GCS (required when stdin is not a "
                           "terminal)")
PARALLELISM = Option("--parallelism", metavar="N", type=_parallelism,
                     help=f"calls in flight at once, 1-{MAX_PARALLELISM} (default: the Stack's, "
                          "else 10)")
WAIT = Option("--wait", action="store_true",
              help="follow launched runs until they finish (never cancels them)")
TIMEOUT = Option("--timeout", metavar="DURATION", type=parse_timeout,
                 help="give up waiting after 90s, 30m, 2h or N seconds (apply: with --wait); "
                      "the runs continue in GCS")
TARGET = Option("--target", metavar="ADDR", action="append",
                help="plan only ADDR and the workflows it needs (repeatable)")
REPLACE = Option("--replace", metavar="ADDR", action="append",
                 help="re-create this workflow even though it is unchanged (repeatable; for a "
                      "run, change its rerunToken instead)")
RELAUNCH_MISSING = Option("--relaunch-missing", action="store_true", default=None,
                          help="launch again runs that were deleted outside gcsapply")
ALLOW_LAUNCHES = Option("--allow-launches", metavar="N", type=_count("--allow-launches"),
                        help="allow up to N launches (above limits.maxLaunchesPerApply)")
ALLOW_DELETES = Option("--allow-deletes", metavar="N", type=_count("--allow-deletes"),
                       help="allow up to N deletes (above limits.maxDeletesPerApply)")

PLAN_OPTIONS = (TARGET, REPLACE, RELAUNCH_MISSING, ALLOW_LAUNCHES, ALLOW_DELETES)


def plan_options(args, *, destroy: bool = False) -> PlanOptions:
    """The :class:`PlanOptions` of ``plan``, ``apply DIR`` and ``destroy`` (which takes only
    ``--allow-deletes`` and ``--include-retained`` of them)."""
    given = vars(args)
    return PlanOptions(targets=tuple(given.get("target") or ()),
                       replace=tuple(given.get("replace") or ()),
                       relaunch_missing=bool(given.get("relaunch_missing")),
                       allow_launches=given.get("allow_launches"),
                       allow_deletes=given.get("allow_deletes"),
                       destroy=destroy, include_retained=bool(given.get("include_retained")))


def refuse_plan_options(args) -> None:
    """``apply FILE``: a plan option given at all, whatever its value, is refused."""
    given = [option.flag for option in PLAN_OPTIONS if getattr(args, option.dest) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot change a saved plan",
                         hint="give the options to 'gcsapply plan --out' instead")


def apply_settings(args, verb: str, path: Path) -> ApplySettings:
    """The engine settings of ``apply`` and ``destroy`` (``destroy`` never waits)."""
    wait, timeout = vars(args).get("wait", False), vars(args).get("timeout")
    if timeout is not None and not wait:
        raise UsageError("--timeout only applies with --wait")
    return ApplySettings(command_line=" ".join(["gcsapply", verb, str(path)]),
                         auto_approve=args.auto_approve, parallelism=args.parallelism,
                         wait=wait, timeout=timeout)
