"""``gcsapply validate DIR [--json]``: check manifests, templates and sample sheets, offline.

Every problem is reported at once; exit 1 on any error, 0 otherwise (warnings are printed).
With ``--json`` stdout is only the diagnostics document (``schemas/diagnostics.schema.json``).
Never touches the network.
"""

from __future__ import annotations

import sys

from gcsapply.commands.options import JSON, STACK_DIR, add_options
from gcsapply.diagnostics import render_diagnostics_json, sort_diagnostics
from gcsapply.errors import EXIT_OK
from gcsapply.manifest.build import load_stack


def add_arguments(parser) -> None:
    add_options(parser, STACK_DIR, JSON)


def run(args) -> int:
    loaded = load_stack(args.dir)  # raises InputError on any error: cli.main prints it, exit 1
    if args.json:
        sys.stdout.write(render_diagnostics_json(loaded.diagnostics))
        return EXIT_OK
    for diagnostic in sort_diagnostics(loaded.diagnostics):
        print(diagnostic.render(), file=sys.stderr)
    print(summarise(loaded))
    return EXIT_OK


def summarise(loaded) -> str:
    """``Valid: 1 stack, 2 workflows, 4 executions (1 execution set); 0 errors, 2 warnings.``"""
    desired = loaded.desired
    stacks = 0 if desired.stack.source is None else 1
    sets = len(desired.sets)
    warnings = len(loaded.diagnostics)
    return (f"Valid: {_count(stacks, 'stack')}, {_count(len(desired.workflows), 'workflow')}, "
            f"{_count(len(desired.executions), 'execution')} ({_count(sets, 'execution set')}); "
            f"0 errors, {_count(warnings, 'warning')}.")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
