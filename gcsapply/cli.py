"""The ``gcsapply`` command line: the command table and the single exception boundary.

Each command lives in ``gcsapply/commands/<name>.py`` and exposes ``add_arguments(parser)``
and ``run(args) -> int``; flags shared by several commands are defined once in
:mod:`gcsapply.commands.options`. :func:`main` is the only place that turns exceptions into
exit codes: usage errors and bad input exit 1 (never argparse's 2), interrupts 130.

``plan --markdown`` (a pull-request comment in CI) also explains a failure on stdout, as
Markdown (:func:`gcsapply.render.markdown.render_failure_markdown`), once its arguments are
parsed; stderr keeps the usual text. No other command prints Markdown.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from types import ModuleType

from gcsapply import __version__
from gcsapply.commands import apply, destroy, emulator, outputs, plan, state, status, validate, wait
from gcsapply.diagnostics import render_diagnostics_json, render_diagnostics_text
from gcsapply.errors import EXIT_ERROR, EXIT_INTERRUPTED, GcsapplyError, InputError, UsageError
from gcsapply.render.markdown import render_failure_markdown

# name -> (command module, one-line summary)
COMMANDS: dict[str, tuple[ModuleType, str]] = {
    "validate": (validate, "Check manifests and workflow templates, offline"),
    "plan": (plan, "Show what apply would change in GCS"),
    "apply": (apply, "Make GCS match the manifests (or apply a saved plan)"),
    "destroy": (destroy, "Remove what the stack manages, respecting deletion policies"),
    "status": (status, "List the stack's runs with their progress"),
    "wait": (wait, "Wait for the stack's runs to finish; exit 1 unless all succeeded"),
    "outputs": (outputs, "Print a run's result paths"),
    "state": (state, "Inspect the state file, or release a stale lock"),
    "emulator": (emulator, "Run the local GCS emulator"),
}


# The namespace attribute naming the innermost (sub)command that left arguments over.
_LEFT_OVER_BY = "_left_over_by"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors raise instead of exiting 2, and whose hint names
    the help of the (sub)command the error is about: ``apply x y`` points at
    ``gcsapply apply --help``, not at ``gcsapply --help``."""

    def error(self, message):  # noqa: D401 - argparse API
        raise UsageError(message, hint=f"run '{self.prog} --help' for usage")

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras and not hasattr(namespace, _LEFT_OVER_BY):
            # innermost first: a subcommand parses its arguments before its parent returns
            setattr(namespace, _LEFT_OVER_BY, self.prog)
        return namespace, extras

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            prog = getattr(namespace, _LEFT_OVER_BY, self.prog)
            raise UsageError(f"unrecognized arguments: {' '.join(extras)}",
                             hint=f"run '{prog} --help' for usage")
        return namespace


def build_parser() -> argparse.ArgumentParser:
    debug_help = "log HTTP calls (secrets redacted) and show tracebacks"
    # Accepted before or after the command; SUPPRESS keeps a subcommand from resetting it.
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    parser = _Parser(prog="gcsapply", description="Declarative reconciler for Huawei Cloud Gene "
                     "Container Service (GCS).")
    parser.add_argument("--debug", action="store_true", default=False, help=debug_help)
    parser.add_argument("--version", action="version", version=f"gcsapply {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, summary) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=summary, description=summary, parents=[common])
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    json_output = "--json" in argv
    markdown = False  # plan --markdown, once parsed: failures are explained on stdout too
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        markdown = args.command == "plan" and args.markdown
        if args.debug:
            logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                                format="%(asctime)s %(name)s %(message)s")
        if not getattr(args, "_run", None):
            parser.print_help(sys.stderr)
            return EXIT_ERROR
        return args._run(args)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except InputError as exc:
        if json_output and not markdown:
            sys.stdout.write(render_diagnostics_json(exc.diagnostics))
        else:
            if exc.diagnostics:
                sys.stderr.write(render_diagnostics_text(exc.diagnostics))
            if not exc.diagnostics or exc.hint:
                print(exc.render(), file=sys.stderr)
        _explain_failure(markdown, exc)
        _debug_traceback(debug)
        return exc.exit_code
    except GcsapplyError as exc:
        print(exc.render(), file=sys.stderr)
        _explain_failure(markdown, exc)
        _debug_traceback(debug)
        return exc.exit_code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:  # a bug: say so plainly, traceback only with --debug
        print(f"error: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("  hint: rerun with --debug and report the traceback", file=sys.stderr)
        _explain_failure(markdown, exc)
        _debug_traceback(debug)
        return EXIT_ERROR


def _explain_failure(markdown: bool, exc: BaseException) -> None:
    """``plan --markdown``: the failure as Markdown on stdout, so CI never posts an empty
    comment."""
    if markdown:
        sys.stdout.write(render_failure_markdown(exc))


def _debug_traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
