"""The terminal as ``apply`` and ``destroy`` talk to it: a :class:`Console` over stdin, stdout
and stderr (colour only on a TTY without ``NO_COLOR``)."""

from __future__ import annotations

import os
import sys

from gcsapply.engine.apply import Console


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
