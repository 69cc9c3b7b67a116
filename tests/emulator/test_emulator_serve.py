"""``gcsapply emulator serve`` as a user runs it: a subprocess, stopped with SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import pytest
import requests

from gcsapply.cli import main
from gcsapply.client.auth import AkSkAuth
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_SK


def _serve(tmp_path, *args, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--db", str(tmp_path / "e.sqlite"),
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})})


def _stop(process) -> tuple[str, str]:
    """SIGTERM, wait, and the rest of the output (already-buffered lines included)."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    return process.stdout.read(), process.stderr.read()


def test_serve_prints_the_listening_line_first_and_exits_0_on_sigterm(tmp_path):
    process = _serve(tmp_path, "--job-seconds", "1")
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"gcsapply emulator listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        url = match.group(1)
        auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, "0" * 32)
        assert requests.get(url + "/v1/environments", auth=auth, timeout=10).status_code == 200
    finally:
        out, err = _stop(process)
    assert process.returncode == 0, err
    assert f"access key {EMBEDDED_AK}" in out
    assert EMBEDDED_SK not in out + err


def test_serve_takes_its_secret_from_the_environment_and_never_prints_it(tmp_path):
    secret = "my-own-secret-key-0123456789"
    process = _serve(tmp_path, "--ak", "MYAK", "--user", "alice", "--domain", "lab",
                     env={"GCSAPPLY_EMULATOR_SK": secret, "GCSAPPLY_EMULATOR_PASSWORD": "pw-123"})
    try:
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        ok = requests.get(url + "/v1/tools", auth=AkSkAuth("MYAK", secret, "1" * 32), timeout=10)
        assert ok.status_code == 200
        builtin = requests.get(url + "/v1/tools", auth=AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, "1" * 32),
                               timeout=10)
        assert builtin.status_code == 401
    finally:
        out, err = _stop(process)
    assert process.returncode == 0
    assert secret not in out + err and "pw-123" not in out + err


def test_half_a_key_pair_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("GCSAPPLY_EMULATOR_SK", raising=False)
    assert main(["emulator", "serve", "--ak", "X"]) == 1
    assert "--ak" in capsys.readouterr().err


def test_emulator_without_a_subcommand_is_a_usage_error(capsys):
    assert main(["emulator"]) == 1
    assert "serve" in capsys.readouterr().err


@pytest.mark.parametrize("flags,named", [
    (["--fault-rate", "2"], "fault_rate"), (["--job-seconds", "-1"], "job_seconds"),
    (["--latency-ms", "nan"], "latency_ms"), (["--reads-per-minute", "-5"], "reads_per_minute"),
    (["--port", "99999"], "99999")])
def test_an_out_of_range_setting_is_a_usage_error_not_an_internal_one(tmp_path, capsys, flags, named):
    assert main(["emulator", "serve", "--db", str(tmp_path / "e.sqlite"), *flags]) == 1
    err = capsys.readouterr().err
    assert named in err and "internal error" not in err and "Traceback" not in err


def test_a_port_in_use_is_a_usage_error(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["emulator", "serve", "--db", str(tmp_path / "e.sqlite"), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "internal error" not in err


def test_serve_takes_every_flag(tmp_path):
    process = _serve(tmp_path, "--host", "127.0.0.1", "--port", "0", "--job-seconds", "2.5",
                     "--reads-per-minute", "600", "--writes-per-minute", "300", "--latency-ms", "1",
                     "--fault-rate", "0.25", "--fault-seed", "7", "--execution-names", "any",
                     "--ak", "FLAGAK", "--sk", "flag-secret-key", "--user", "carol",
                     "--password", "flag-password", "--domain", "flags")
    try:
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        settings = requests.get(url + "/_emulator/faults", timeout=10).json()
        token = requests.post(url + "/v3/auth/tokens", timeout=10, json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "carol", "password": "flag-password", "domain": {"name": "flags"}}}},
            "scope": {"project": {"name": "cn-north-4"}}}})
    finally:
        out, err = _stop(process)
    assert settings == {"job_seconds": 2.5, "reads_per_minute": 600, "writes_per_minute": 300,
                        "latency_ms": 1.0, "fault_rate": 0.25, "fault_seed": 7,
                        "execution_names": "any"}
    assert token.status_code == 201 and token.headers["X-Subject-Token"]
    assert "access key FLAGAK" in out and "user carol in domain flags" in out
    assert "flag-secret-key" not in out + err and "flag-password" not in out + err
