"""A local emulator of the Huawei Cloud GCS API, laid out like a moto service.

``server`` (HTTP) -> ``routes`` (the one table) -> ``handlers_*`` (thin) -> ``store`` (SQLite)
and ``lifecycle`` (status derived from stored facts and the clock); ``errors`` is the one table
of error answers. Start one with :class:`EmulatorServer`.
"""

from gcsapply.emulator.credentials import (
                                           EMBEDDED_AK,
                                           EMBEDDED_DOMAIN,
                                           EMBEDDED_PASSWORD,
                                           EMBEDDED_PROJECT_ID,
                                           EMBEDDED_SK,
                                           EMBEDDED_USER,
                                           EmulatorCredentials,
)
from gcsapply.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "EmulatorCredentials", "EMBEDDED_AK", "EMBEDDED_SK",
           "EMBEDDED_PROJECT_ID", "EMBEDDED_USER", "EMBEDDED_PASSWORD", "EMBEDDED_DOMAIN"]
