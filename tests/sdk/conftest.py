"""SDK clients on the ``emulator`` fixture, signed with the built-in AK/SK."""

from __future__ import annotations

import pytest

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK
from gcsapply.sdk import CromwellClient, GCSClient


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
