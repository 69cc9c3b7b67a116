"""Real ``kill -9`` of an apply, its journal torn mid-line, then plan, apply and status: the
stack is never bricked and every run is launched exactly once.

The apply and the emulator are separate processes, so the kill is a real one (bounded real
waits, as in test_apply_kill.py). A kill lands between two journal writes far more often than
inside one, so each trial also cuts the journal's last line at a seeded random byte, as a kill
in the middle of that write would have. The recovery runs in-process on a ManualClock set two
minutes after the crash (a launch begun before the crash could no longer be on its way).
"""

from __future__ import annotations

import functools
import importlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import requests
from apply_harness import ECHO_TEMPLATE, WORKFLOW

from gcsapply import cli
from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

SEED = 20261204
TRIALS = 3
RUNS = 40
DEADLINE_S = 60


def test_real_kills_that_tear_the_journal_never_brick_the_stack_nor_launch_a_run_twice(
        tmp_path, monkeypatch, capsys):
    emulator = subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--port", "0",
         "--db", str(tmp_path / "emulator.sqlite"), "--latency-ms", "20",
         "--job-seconds", "3600", "--execution-names", "any"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = emulator.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        for name, value in (("HW_ACCESS_KEY", EMBEDDED_AK), ("HW_SECRET_KEY", EMBEDDED_SK)):
            monkeypatch.setenv(name, value)
        for trial in range(TRIALS):
            rng = random.Random(SEED * 10 + trial)
            root = _stack(tmp_path / f"stack{trial}", url, trial)
            before = _launches(url)
            _kill_apply_midway(root, at_least=rng.randint(4, RUNS // 2), url=url, before=before)
            torn = _tear_last_line(root / ".gcsapply" / "journal.jsonl", rng)
            _recover(root, monkeypatch, capsys, torn)
            names = Counter(_run_names(url, f"t{trial}"))
            assert len(names) == RUNS, f"trial {trial}"
            assert max(names.values()) == 1, f"trial {trial}: {names.most_common(3)}"
            # exactly RUNS runs exist, none twice (above); the server may also have counted the
            # one POST the kill cut off mid-request, which created nothing
            assert _launches(url) - before in (RUNS, RUNS + 1), f"trial {trial}"
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)


def _kill_apply_midway(root, *, at_least: int, url: str, before: int) -> None:
    env = {**os.environ, "HW_ACCESS_KEY": EMBEDDED_AK, "HW_SECRET_KEY": EMBEDDED_SK}
    apply = subprocess.Popen([sys.executable, "-m", "gcsapply", "apply", str(root),
                              "--auto-approve", "--parallelism", "4"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + DEADLINE_S
    while _launches(url) - before < at_least and apply.poll() is None:
        assert time.monotonic() < deadline, "the apply did not launch anything in time"
        time.sleep(0.01)
    apply.send_signal(signal.SIGKILL)
    apply.wait()
    assert _launches(url) - before < RUNS, "the kill did not land in the middle of the apply"


def _tear_last_line(journal, rng: random.Random) -> bytes | None:
    """Cut the journal's last line at a random byte; returns the torn journal (None: empty)."""
    data = journal.read_bytes() if journal.exists() else b""
    if not data.endswith(b"\n"):
        return data or None  # torn by the kill itself
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    torn = data[:rng.randrange(start + 1, len(data) - 1)]
    journal.write_bytes(torn)
    return torn


def _recover(root, monkeypatch, capsys, torn: bytes | None) -> None:
    clock = ManualClock(time.time() + 120)
    for name in ("plan", "apply", "status"):
        module = importlib.import_module(f"gcsapply.commands.{name}")
        monkeypatch.setattr(module, "run", functools.partial(module.run, clock=clock))
    work = root / ".gcsapply"
    capsys.readouterr()
    assert cli.main(["plan", str(root), "--detailed-exitcode"]) in (0, 2), capsys.readouterr().err
    assert not list(work.glob("journal.jsonl.torn-*")), "plan wrote a file"
    assert cli.main(["apply", str(root), "--auto-approve"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "released a stale lock" in err
    copies = list(work.glob("journal.jsonl.torn-*"))
    if torn is not None:
        [copy] = copies
        assert copy.read_bytes() == torn
        assert f"the whole journal kept as {copy.name}" in err
    assert cli.main(["status", str(root)]) == 0, capsys.readouterr().err
    assert cli.main(["plan", str(root), "--detailed-exitcode"]) == 0, capsys.readouterr().err


def _stack(root, url, trial):
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "hello.yaml").write_text(ECHO_TEMPLATE)
    (root / "workflows.yaml").write_text(WORKFLOW)
    (root / "stack.yaml").write_text(f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: torn{trial}}}
spec:
  endpoint: {url}
  projectId: {EMBEDDED_PROJECT_ID}
  rateLimit: {{readsPerMinute: 100000, writesPerMinute: 100000}}
  defaults:
    execution: {{environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}}
""")
    (root / "samples.csv").write_text("id\n" + "".join(f"t{trial}s{i:03d}\n" for i in range(RUNS)))
    (root / "cohort.yaml").write_text(f"""\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {{name: t{trial}}}
spec:
  samples: samples.csv
  key: id
  template: {{workflow: hello, inputs: {{sample: "{{{{ sample.id }}}}"}}}}
""")
    return root


def _launches(url) -> int:
    return requests.get(f"{url}/_emulator/stats", timeout=5).json().get("POST /v1/executions", 0)


def _run_names(url, prefix):
    session = GcsSession(url, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID),
                         reads_per_minute=0, writes_per_minute=0)
    try:
        return [item["execution"]["name"] for item in GcsApi(session).list_executions()
                if item["execution"]["name"].startswith(prefix)]
    finally:
        session.close()
