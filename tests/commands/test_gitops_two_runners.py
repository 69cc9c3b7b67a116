"""Two runners, one stack, one bucket: shared state, the lock, ``kill -9`` and a takeover.

Runner A and runner B are two checkouts of one repository with no shared disk; GCS is one
emulator process and the state lives in one bucket of a real S3-protocol server. A is a real
process (so the kill is a real one); B runs in this process, on a ManualClock set past the
lock's lease when it takes over. Real waits are bounded and short: only for A's launches.
"""

from __future__ import annotations

import functools
import importlib
import json
import signal
import subprocess
import sys
import time
from collections import Counter

import requests
from gitops import STACK_DIR, Repo, runner_env

from gcsapply import cli
from gcsapply.clock import ManualClock

RUNS = 200
LEASE_SECONDS = 120
DEADLINE_S = 90


def test_two_runners_share_the_state_and_the_lock_and_survive_a_kill_9(tmp_path, s3_bucket,
                                                                       monkeypatch, capsys):
    s3_url, bucket, client = s3_bucket
    emulator = subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--port", "0",
         "--db", str(tmp_path / "gcs.sqlite"), "--latency-ms", "25", "--job-seconds", "3600",
         "--execution-names", "any"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        gcs_url = emulator.stdout.readline().strip().rsplit(" ", 1)[-1]
        repo = Repo(tmp_path / "repo", gcs_url, s3_url, bucket, lease=f"{LEASE_SECONDS}s")
        repo.write_stack(samples=RUNS)
        a = repo.checkout(tmp_path / "runner-a") / STACK_DIR
        b = repo.checkout(tmp_path / "runner-b") / STACK_DIR
        env = runner_env()
        for name in ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_PROJECT_ID"):
            monkeypatch.setenv(name, env[name])

        # A applies 200 runs; B, with no local state at all, sees nothing to do
        done = subprocess.run([sys.executable, "-m", "gcsapply", "apply", str(a), "--auto-approve"],
                              env=env, capture_output=True, text=True, timeout=DEADLINE_S)
        assert done.returncode == 0, done.stderr
        assert _names(gcs_url) == _samples(RUNS)
        assert cli.main(["plan", str(b), "--detailed-exitcode"]) == 0
        assert "state obs://" in capsys.readouterr().out
        assert not (b / ".gcsapply" / "state.json").exists()

        # both checkouts gain 200 samples; A applies them, and B tries while A holds the lock
        for runner in (a, b):
            (runner / "samples.csv").write_text((repo.root / STACK_DIR / "samples.csv").read_text()
                                                + "".join(f"s{i:03d}\n" for i in range(RUNS, 2 * RUNS)))
        launched_before = _launches(gcs_url)
        runner_a = subprocess.Popen([sys.executable, "-m", "gcsapply", "apply", str(a),
                                     "--auto-approve", "--parallelism", "2"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_launches(gcs_url, runner_a, at_least=launched_before + 20)
        assert cli.main(["apply", str(b), "--auto-approve"]) == 1
        err = capsys.readouterr().err
        assert f"the state is locked by 'gcsapply apply {a}'" in err
        assert f"pid {runner_a.pid}" in err and "last heartbeat" in err
        runner_a.send_signal(signal.SIGKILL)
        runner_a.wait()
        launched = _launches(gcs_url) - launched_before
        assert 20 <= launched < RUNS, "the kill did not land in the middle of the apply"
        assert client.head_object(Bucket=bucket, Key="gcsapply/prod/state.json.lock")

        # after the lease B takes the lock over, adopts what A launched and launches the rest
        _later(monkeypatch, seconds=LEASE_SECONDS + 15)
        assert cli.main(["apply", str(b), "--auto-approve"]) == 0
        out, err = capsys.readouterr()
        assert "took over a stale lock" in err and f"pid {runner_a.pid}" in err
        names = _names(gcs_url)
        assert names == _samples(2 * RUNS), [n for n, c in names.items() if c > 1]
        state = json.loads(client.get_object(Bucket=bucket, Key="gcsapply/prod/state.json")["Body"].read())
        members = [address for address in state["resources"] if address.startswith("execution/")]
        assert len(members) == 2 * RUNS
        assert cli.main(["plan", str(b), "--detailed-exitcode"]) == 0

        # A's runner comes back: its journal is older than the state, so it is set aside
        capsys.readouterr()
        assert cli.main(["plan", str(a), "--detailed-exitcode"]) == 0
        assert "does not continue the stored state" in capsys.readouterr().err
        assert cli.main(["apply", str(a), "--auto-approve"]) == 0
        assert "set aside" in capsys.readouterr().err
        assert _names(gcs_url) == _samples(2 * RUNS)
    finally:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)


def _later(monkeypatch, *, seconds: float) -> None:
    clock = ManualClock(time.time() + seconds)
    for name in ("plan", "apply"):
        module = importlib.import_module(f"gcsapply.commands.{name}")
        monkeypatch.setattr(module, "run", functools.partial(module.run, clock=clock))


def _launches(url) -> int:
    return requests.get(f"{url}/_emulator/stats", timeout=5).json().get("POST /v1/executions", 0)


def _wait_for_launches(url, process, *, at_least):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if _launches(url) >= at_least or process.poll() is not None:
            return
        time.sleep(0.02)
    raise AssertionError("runner A did not launch anything in time")


def _names(url) -> Counter:
    from gcsapply.client.api import GcsApi
    from gcsapply.client.auth import AkSkAuth
    from gcsapply.client.session import GcsSession
    from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

    session = GcsSession(url, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID),
                         reads_per_minute=0, writes_per_minute=0)
    try:
        return Counter(item["execution"]["name"].rsplit("-", 1)[0]
                       for item in GcsApi(session).list_executions())
    finally:
        session.close()


def _samples(count: int) -> Counter:
    return Counter({f"cohort-s{i:03d}": 1 for i in range(count)})
