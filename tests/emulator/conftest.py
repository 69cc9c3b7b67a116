"""Fixtures of the emulator's own tests."""

from __future__ import annotations

import pytest
from emulator_helpers import Gcs


@pytest.fixture
def gcs(emulator) -> Gcs:
    """A signed ``requests`` client on the ``emulator`` fixture."""
    return Gcs(emulator)
