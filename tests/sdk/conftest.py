"""SDK clients on the ``emulator`` fixture, signed with the built-in AK/SK; and ``served_emulator``:
``gcsapply emulator serve`` in a subprocess, for scripts run as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK
from gcsapply.sdk import CromwellClient, GCSClient

# What a user's shell may hold and a script must not see: credentials and endpoints of their own.
FOREIGN = re.compile(r"^(HW_|HUAWEICLOUD_|GCSAPPLY_)")


@pytest.fixture
def gcs_client(emulator):
    client = GCSClient(endpoint=emulator.url, clock=emulator.clock)
    client.set_aksk_auth_param(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID)
    yield client
    client.close()


@pytest.fixture
def cromwell_client(emulator):
    client = CromwellClient(endpoint=emulator.url, clock=emulator.clock)
    client.set_aks_auth_param(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID)
    yield client
    client.close()


@dataclass
class Served:
    """A served emulator and how to run a script against it (``GCSAPPLY_ENDPOINT`` set)."""

    url: str
    workdir: Path
    ak: str = "SEEDSCRIPTACCESSKEY1"
    sk: str = "seed-script-secret-key-0123456789"
    user: str = "alice"  # the account's main user: the account (domain) is named alike
    password: str = "seed-script-password-1"
    project_id: str = "0123456789abcdef0123456789abcdef"

    def run(self, script: Path, **env: str) -> subprocess.CompletedProcess:
        """``python script`` in ``workdir`` with the endpoint and ``env``; output as text."""
        clean = {k: v for k, v in os.environ.items() if not FOREIGN.match(k)}
        return subprocess.run([sys.executable, str(script)], cwd=self.workdir, capture_output=True, text=True,
                              env={**clean, "GCSAPPLY_ENDPOINT": self.url, "PYTHONIOENCODING": "utf-8", **env},
                              timeout=120)


@pytest.fixture
def served_emulator(tmp_path):
    """``gcsapply emulator serve --port 0`` with its own AK/SK and a user who is their account's
    main user (user name = account name), jobs taking no time; stopped with SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--port", "0", "--db", str(tmp_path / "served.sqlite"),
         "--ak", Served.ak, "--user", Served.user, "--domain", Served.user, "--job-seconds", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "GCSAPPLY_EMULATOR_SK": Served.sk, "GCSAPPLY_EMULATOR_PASSWORD": Served.password})
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"gcsapply emulator listening on (http://127\.0\.0\.1:\d+)\n", first)
        assert match, f"the emulator did not start: {first!r}"
        workdir = tmp_path / "work"
        workdir.mkdir()
        yield Served(match.group(1), workdir)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        process.stdout.close()
