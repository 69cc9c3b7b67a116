"""``kill -9`` in the middle of a 200-run apply, then apply again: converge, no duplicate.

The one test that uses real (short, bounded) waits: the apply and the emulator are separate
processes so the kill is a real one. The second apply runs on a ManualClock two minutes later,
so the launches the kill left unresolved are looked up once, not waited for. Duplicate names are allowed by the emulator, so only
gcsapply's journal and lookups stand between a crash and a second launch.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import requests
from apply_harness import ECHO_TEMPLATE, WORKFLOW

from gcsapply import cli
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

RUNS = 200
DEADLINE_S = 60


def test_kill_9_in_the_middle_of_a_200_run_apply_then_apply_again_converges_without_duplicates(
        tmp_path, monkeypatch, capsys):
    emulator = subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--port", "0",
         "--db", str(tmp_path / "emulator.sqlite"), "--latency-ms", "15",
         "--job-seconds", "3600", "--execution-names", "any"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = emulator.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        root = _stack(tmp_path / "stack", url)
        env = {**os.environ, "HW_ACCESS_KEY": EMBEDDED_AK, "HW_SECRET_KEY": EMBEDDED_SK}
        for name, value in (("HW_ACCESS_KEY", EMBEDDED_AK), ("HW_SECRET_KEY", EMBEDDED_SK)):
            monkeypatch.setenv(name, value)
        apply = subprocess.Popen([sys.executable, "-m", "gcsapply", "apply", str(root),
                                  "--auto-approve", "--parallelism", "4"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        launched = _wait_for_launches(url, apply, at_least=40)
        apply.send_signal(signal.SIGKILL)
        apply.wait()
        assert 40 <= launched < RUNS, "the kill did not land in the middle of the apply"
        assert (root / ".gcsapply" / "state.lock").exists()
        survivors = len(_run_names(url))

        capsys.readouterr()
        _later(monkeypatch, seconds=120)
        assert cli.main(["apply", str(root), "--auto-approve"]) == 0
        out, err = capsys.readouterr()
        assert "released a stale lock" in err
        assert out.count("create succeeded") == RUNS - survivors

        names = Counter(_run_names(url))
        assert len(names) == RUNS
        assert max(names.values()) == 1, [n for n, c in names.items() if c > 1]
        assert cli.main(["plan", str(root), "--detailed-exitcode"]) == 0
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)


def _later(monkeypatch, *, seconds: float) -> None:
    """Run the next commands on a ManualClock ``seconds`` after now: launches begun before the
    kill could no longer be on their way, so apply does not wait for them to land."""
    clock = ManualClock(time.time() + seconds)
    for name in ("plan", "apply"):
        module = importlib.import_module(f"gcsapply.commands.{name}")
        monkeypatch.setattr(module, "run", functools.partial(module.run, clock=clock))


def _stack(root, url):
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "hello.yaml").write_text(ECHO_TEMPLATE)
    (root / "workflows.yaml").write_text(WORKFLOW)
    (root / "stack.yaml").write_text(f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: killtest}}
spec:
  endpoint: {url}
  projectId: {EMBEDDED_PROJECT_ID}
  rateLimit: {{readsPerMinute: 100000, writesPerMinute: 100000}}
  defaults:
    execution: {{environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}}
""")
    (root / "samples.csv").write_text("id\n" + "".join(f"s{i:03d}\n" for i in range(RUNS)))
    (root / "cohort.yaml").write_text("""\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: c}
spec:
  samples: samples.csv
  key: id
  template: {workflow: hello, inputs: {sample: "{{ sample.id }}"}}
""")
    return root


def _wait_for_launches(url, process, *, at_least):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        count = requests.get(f"{url}/_emulator/stats", timeout=5).json().get(
            "POST /v1/executions", 0)
        if count >= at_least or process.poll() is not None:
            return count
        time.sleep(0.02)
    raise AssertionError("the apply did not launch anything in time")


def _run_names(url):
    from gcsapply.client.api import GcsApi
    from gcsapply.client.auth import AkSkAuth
    from gcsapply.client.session import GcsSession

    session = GcsSession(url, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID),
                         reads_per_minute=0, writes_per_minute=0)
    try:
        return [item["execution"]["name"] for item in GcsApi(session).list_executions()]
    finally:
        session.close()
