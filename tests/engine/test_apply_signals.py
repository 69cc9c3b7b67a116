"""Ctrl-C and SIGTERM during apply: nothing new starts, in-flight calls finish, state is saved,
exit 130 — within seconds even while workers wait for rate-limit tokens."""

from __future__ import annotations

import os
import signal
import threading
import time

from apply_harness import execution

from gcsapply.clock import SystemClock
from gcsapply.commands import apply as apply_command
from gcsapply.state import Journal

SLOW_STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: teststack}
spec:
  endpoint: embedded
  parallelism: 4
  rateLimit: {readsPerMinute: 6000, writesPerMinute: 1}
  defaults:
    execution: {environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}
"""


def interrupt_when(monkeypatch, text: str, signum=signal.SIGINT):
    """Send ``signum`` to this process as soon as apply prints a line containing ``text``."""
    original = apply_command.terminal_console

    def console():
        made = original()
        out = made.out

        def spy(line: str) -> None:
            out(line)
            if text in line:
                os.kill(os.getpid(), signum)

        made.out = spy
        return made

    monkeypatch.setattr(apply_command, "terminal_console", console)
    return original


def test_the_first_ctrl_c_starts_nothing_new_saves_state_and_exits_130(gcs, monkeypatch):
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(5)})
    interrupt_when(monkeypatch, "execution/r0: create succeeded")
    result = gcs.apply("--parallelism", "1")
    assert result.code == 130
    assert "Ctrl-C: starting nothing new" in result.err
    assert "Apply interrupted: 2 succeeded, 0 failed, 0 skipped, 4 not started." in result.out
    assert len(gcs.executions()) == 1
    listing = gcs.run("state", "list", gcs.root).out
    assert "execution/r0" in listing and "workflow/hello" in listing


def test_after_an_interrupt_the_next_apply_finishes_the_job_without_duplicates(gcs, monkeypatch):
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(5)})
    original = interrupt_when(monkeypatch, "execution/r1: create succeeded", signal.SIGTERM)
    assert gcs.apply("--parallelism", "1").code == 130
    monkeypatch.setattr(apply_command, "terminal_console", original)
    result = gcs.apply()
    assert result.code == 0, result.err
    assert result.out.count("create succeeded") == 3
    assert len(gcs.executions()) == 5


def test_ctrl_c_ends_the_wait_for_rate_limit_tokens_within_seconds(make_gcs, monkeypatch):
    gcs = make_gcs(command_clock=SystemClock())
    gcs.write({"stack.yaml": SLOW_STACK})
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(4)})
    original_append = Journal.append
    armed = threading.Event()

    def append(self, entry):
        original_append(self, entry)
        if entry.get("phase") == "begin" and not armed.is_set():
            # the plan's template check took the only token: this call is about to wait
            # ~63 s for the next one; interrupt that wait
            armed.set()
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()

    monkeypatch.setattr(Journal, "append", append)
    started = time.monotonic()
    result = gcs.apply()
    took = time.monotonic() - started
    assert result.code == 130
    assert "0 succeeded, 0 failed, 0 skipped, 5 not started." in result.out
    assert took < 20  # the next token alone would take about 63 s
    assert gcs.executions() == []
