"""SDK-HMAC-SHA256 request signing, as pure functions: sign only.

Used by :class:`gcsapply.client.auth.AkSkAuth`. The emulator verifies signatures with its own
code (:mod:`gcsapply.emulator.sigv`), so a canonicalisation bug here cannot hide in both; the
client's tests check their requests with that verifier. Nothing here touches ``requests``.

Algorithm (reference §5.2, ``huaweicloudsdkcore`` 3.1.219 ``Signer``)::

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexPayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(SK, StringToSign))
    Authorization    = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Content types whose bodies are hashed; any other Content-Type is sent UNSIGNED-PAYLOAD.
_HASHED_CONTENT_TYPES = ("application/json", "application/bson")


def canonical_request(method: str, path: str, query: Iterable[tuple[str, object]],
                      headers: Mapping[str, str], signed_headers: list[str],
                      payload_hash: str) -> str:
    """The canonical request; ``headers`` may use any case; ``signed_headers`` are lower-case."""
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    missing = [name for name in signed_headers if name not in lowered]
    if missing:
        raise ValueError(f"signed header(s) not on the request: {', '.join(missing)}")
    header_block = "".join(f"{name}:{lowered[name]}\n" for name in signed_headers)
    return "\n".join([
        method.upper(),
        canonical_uri(path),
        canonical_query(query),
        header_block,
        ";".join(signed_headers),
        payload_hash,
    ])


def string_to_sign(canonical: str, sdk_date: str) -> str:
    """``SDK-HMAC-SHA256\\n<date>\\n<hex sha256 of the canonical request>``."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def sign(sk: str, string_to_sign: str) -> str:
    """Hex HMAC-SHA256 of the string to sign, keyed by the secret key."""
    return hmac.new(sk.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def build_authorization(ak: str, signed_headers: list[str], signature: str) -> str:
    """The Authorization header value (comma + space separators, as the SDK writes it)."""
    return f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed_headers)}, Signature={signature}"


def canonical_uri(path: str) -> str:
    """URL-decode, percent-encode each segment (``~`` kept), and end with ``/``."""
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query: Iterable[tuple[str, object]]) -> str:
    """Sorted ``name=value`` pairs, both percent-encoded; booleans as ``true``/``false``.

    A list value becomes repeated pairs, sorted, as ``huaweicloudsdkcore`` does."""
    pairs: list[tuple[str, str]] = []
    for name, value in query:
        values = sorted(value, key=query_value) if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(name), query_value(v)) for v in values)
    pairs.sort()
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def query_value(value: object) -> str:
    """The string a query value is sent as (Python booleans become ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_query(query: Iterable[tuple[str, object]]) -> str:
    """The query string to SEND: the canonical form (sorted, ``%20`` for spaces, ``~`` kept)."""
    return canonical_query(query)


def parse_query_string(raw: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs of a raw query string (as a verifier receives it)."""
    return parse_qsl(raw or "", keep_blank_values=True)


def signed_header_names(headers: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Lower-case, sorted names of the headers to sign: every one without ``_`` in its name."""
    skip = {name.lower() for name in exclude}
    return sorted({name.lower() for name in headers if "_" not in name and name.lower() not in skip})


def is_unsigned_content_type(content_type: str | None) -> bool:
    """True when a body of this Content-Type is sent ``UNSIGNED-PAYLOAD`` (multipart, files...)."""
    return bool(content_type) and not content_type.lower().startswith(_HASHED_CONTENT_TYPES)


def payload_hash(body: bytes | str | None) -> str:
    """Lower-case hex SHA-256 of the body (the empty-body hash for ``None``)."""
    if body is None:
        return EMPTY_PAYLOAD_HASH
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def request_payload_hash(headers: Mapping[str, str], body: bytes | str | None,
                         signed_headers: list[str] | None = None) -> str:
    """The payload hash a verifier expects: ``X-Sdk-Content-Sha256`` when signed, else SHA-256."""
    lowered = {name.lower(): value for name, value in headers.items()}
    declared = lowered.get(HEADER_CONTENT_SHA256.lower())
    if declared and (signed_headers is None or HEADER_CONTENT_SHA256.lower() in signed_headers):
        return declared.strip()
    return payload_hash(body)


def format_sdk_date(epoch_seconds: float) -> str:
    """``YYYYMMDDTHHMMSSZ`` in UTC."""
    return time.strftime(DATE_FORMAT, time.gmtime(epoch_seconds))


def _encode(text: str) -> str:
    return quote(text, safe="~")
