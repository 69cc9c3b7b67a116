"""The credentials an emulator accepts: one AK/SK pair and one IAM user.

The ``EMBEDDED_*`` constants are what ``endpoint: embedded`` and ``gcsapply emulator serve``
use when no credentials are given. They guard nothing real: the emulator listens on loopback
and the values are public, but they are still never printed (only the AK is, so a user can tell
which key the emulator expects).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

EMBEDDED_AK = "GCSAPPLYEMULATORAK01"
EMBEDDED_SK = "gcsapply-emulator-secret-key-not-a-real-secret-0001"
EMBEDDED_PROJECT_ID = "0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3"
EMBEDDED_PROJECT_NAME = "cn-north-4"
EMBEDDED_USER = "gcsapply"
EMBEDDED_PASSWORD = "gcsapply-emulator-password-0001"
EMBEDDED_DOMAIN = "gcsapply-domain"


@dataclass(frozen=True)
class EmulatorCredentials:
    """What the emulator verifies. ``repr`` never shows the secrets."""

    ak: str = EMBEDDED_AK
    sk: str = field(default=EMBEDDED_SK, repr=False)
    user: str = EMBEDDED_USER
    password: str = field(default=EMBEDDED_PASSWORD, repr=False)
    domain: str = EMBEDDED_DOMAIN
    project_id: str = EMBEDDED_PROJECT_ID  # the project a token scoped by `project_name` gets
    project_name: str = EMBEDDED_PROJECT_NAME

    @property
    def domain_id(self) -> str:
        return stable_hex(f"domain:{self.domain}")

    def project_id_for(self, project_name: str) -> str:
        """The id of a project addressed by name: the built-in one, else a stable derived id."""
        if project_name == self.project_name:
            return self.project_id
        return stable_hex(f"project:{self.domain}:{project_name}")


def stable_hex(text: str, length: int = 32) -> str:
    """A deterministic lowercase hex id (Huawei project/domain ids are 32 hex characters)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
