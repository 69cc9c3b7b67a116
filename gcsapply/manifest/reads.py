"""The files a load read, each with the digest of the bytes read (DESIGN §4, saved plans).

Every manifest, template and sample sheet the loader opens is read through one
:class:`FilesRead`, which records ``path as reached from DIR -> "sha256:<hex>"`` of exactly the
bytes it returns: the set is what was read, not what a second look would find. A saved plan
lists them (``saved.files``) so ``apply --reviewed`` can say which files differ since review.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gcsapply.yamlio import read_regular_file

DIGEST_PREFIX = "sha256:"


class FilesRead:
    """Reads regular files and remembers the digest of every one read."""

    def __init__(self) -> None:
        self._digests: dict[str, str] = {}

    def read(self, path: Path, shown: str) -> bytes:
        """The bytes of the regular file at ``path`` (``shown``: as reached from DIR, forward
        slashes), recorded. Raises OSError, and then records nothing."""
        raw = read_regular_file(path)
        self.record(shown, raw)
        return raw

    def record(self, shown: str, raw: bytes) -> None:
        """``raw`` was read from ``shown`` by someone else (a template's own loader)."""
        self._digests[shown] = digest(raw)

    def digests(self) -> dict[str, str]:
        """Every file read so far -> its digest, sorted by path."""
        return dict(sorted(self._digests.items()))


def digest(raw: bytes) -> str:
    return DIGEST_PREFIX + hashlib.sha256(raw).hexdigest()
