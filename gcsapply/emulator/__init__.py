"""A local emulator of the Huawei Cloud GCS API, laid out like a moto service.

``server`` (HTTP, loopback unless told otherwise; ``guard`` keeps the unauthenticated control
API to its own Host and Origin; ``auth`` with its own signature verifier ``sigv``) -> ``routes``
(the one table) -> ``handlers`` (thin: parse with ``wire``, which reads every JSON body, and
``rules``, call, render with ``views``) -> ``backend`` (the rules and every query) -> ``store``
(SQLite). ``lifecycle`` and ``cromwell_lifecycle`` derive status from stored facts and the
clock; ``errors`` is the one table of error answers. Start one with :class:`EmulatorServer`.
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
