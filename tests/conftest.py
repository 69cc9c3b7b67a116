"""Shared fixtures. ``emulator``: a GCS emulator on a loopback port with a ManualClock, its
database in tmp_path and the built-in credentials. ``emulator_api``: a GcsApi signed with AK/SK
against it (same clock, rate limits off).

Property tests are derandomised: the ``ci`` Hypothesis profile (the default) draws the same
examples on every run, so a red CI is reproducible; ``HYPOTHESIS_PROFILE=explore`` searches
afresh on a developer's machine.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
    auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock)
    session = GcsSession(emulator.url, auth, reads_per_minute=0, writes_per_minute=0,
                         clock=emulator.clock, max_retries=0)
    yield GcsApi(session)
