"""SDK-HMAC-SHA256 request signing, as pure functions.

Shared by :class:`gcsapply.client.auth.AkSkAuth` (client side) and the emulator's verifier (server
side), so both build the canonical request the same way. Nothing here touches ``requests``.

Algorithm (reference §5.2, ``huaweicloudsdkcore`` 3.1.219 ``Signer``)::

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexPayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(SK, StringToSign))
    Authorization    = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW_S = 15 * 60

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


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """``(access, signed_headers, signature)`` from an Authorization header; ValueError if malformed."""
    if not value or not value.startswith(ALGORITHM + " "):
        raise ValueError(f"Authorization does not start with {ALGORITHM}")
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise ValueError(f"malformed Authorization field {part.strip()!r}")
        fields[key.strip()] = val.strip()
    try:
        access, signed, signature = fields["Access"], fields["SignedHeaders"], fields["Signature"]
    except KeyError as exc:
        raise ValueError(f"Authorization lacks {exc.args[0]}") from None
    if not access or not signed or not signature:
        raise ValueError("Authorization has an empty Access, SignedHeaders or Signature")
    return access, signed.split(";"), signature


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


def canonical_query_from_raw(raw: str) -> str:
    """The canonical query string of a raw, already-encoded query string."""
    return canonical_query(parse_query_string(raw))


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


def parse_sdk_date(value: str) -> float:
    """Epoch seconds of an ``X-Sdk-Date`` value; ValueError if malformed."""
    return float(calendar.timegm(time.strptime(value, DATE_FORMAT)))


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify_request`: ``ok``; ``access`` when parsed; ``reason`` when not ok."""

    ok: bool
    access: str | None = None
    reason: str = ""


def verify_request(method: str, path: str, raw_query: str, headers: Mapping[str, str],
                   body: bytes | None, secret_for: Callable[[str], str | None], *,
                   now: float | None = None, max_skew_s: float = MAX_CLOCK_SKEW_S) -> Verification:
    """Check an SDK-HMAC-SHA256 signature as the API gateway does (reference §5.2 recipe).

    ``secret_for(access)`` returns the SK of an AK, or None when unknown. ``now`` (epoch seconds)
    enables the ±15-minute ``X-Sdk-Date`` check. Never raises for bad input."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        access, signed, signature = parse_authorization(lowered.get("authorization", ""))
    except ValueError as exc:
        return Verification(False, None, str(exc))
    sdk_date = lowered.get(HEADER_DATE.lower())
    if not sdk_date:
        return Verification(False, access, "X-Sdk-Date header is missing")
    try:
        signed_at = parse_sdk_date(sdk_date)
    except ValueError:
        return Verification(False, access, f"X-Sdk-Date {sdk_date!r} is not YYYYMMDDTHHMMSSZ")
    if now is not None and abs(now - signed_at) > max_skew_s:
        return Verification(False, access, "X-Sdk-Date is more than 15 minutes from the server clock")
    if "host" not in signed or HEADER_DATE.lower() not in signed:
        return Verification(False, access, "SignedHeaders must include host and x-sdk-date")
    sk = secret_for(access)
    if sk is None:
        return Verification(False, access, "unknown access key")
    try:
        canonical = canonical_request(method, path, parse_query_string(raw_query), lowered, signed,
                                      request_payload_hash(lowered, body, signed))
    except ValueError as exc:
        return Verification(False, access, str(exc))
    expected = sign(sk, string_to_sign(canonical, sdk_date))
    if not hmac.compare_digest(expected.encode(), signature.encode()):  # any text, constant time
        return Verification(False, access, "signature does not match")
    return Verification(True, access)


def _encode(text: str) -> str:
    return quote(text, safe="~")
