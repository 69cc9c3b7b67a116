"""Shared fixtures. ``emulator``: a GCS emulator on a loopback port with a ManualClock, its
database in tmp_path and the built-in credentials. ``emulator_api``: a GcsApi signed with AK/SK
against it (same clock, rate limits off)."""

from __future__ import annotations

import pytest

from gcsapply.client.auth import AkSkAuth
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(tmp_path, emulator_clock):
    """A started EmulatorServer; advance ``emulator.clock`` to make runs progress."""
    server = EmulatorServer(tmp_path / "emulator.sqlite", clock=emulator_clock).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator_api(emulator):
    """``GcsApi`` over ``GcsSession`` + ``AkSkAuth`` with the built-in credentials."""
    api = pytest.importorskip("gcsapply.client.api")  # lands after the emulator fixture
    session_module = pytest.importorskip("gcsapply.client.session")
    auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock)
    session = session_module.GcsSession(emulator.url, auth, reads_per_minute=0, writes_per_minute=0,
                         clock=emulator.clock, max_retries=0)
    yield api.GcsApi(session)
