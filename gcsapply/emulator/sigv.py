"""The emulator's own SDK-HMAC-SHA256 verifier (reference §5.2), written from the reference and
held against its test vectors and against Huawei's own signer (``huaweicloudsdkcore``). It shares
no code with the client's signing, so a bug in one cannot hide in the other::

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexPayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(SK, StringToSign))

Everything is rebuilt from what was received: the raw path and query, the headers that
``SignedHeaders`` lists (lower-case names, values trimmed, as the bytes that crossed the wire) and
the body. The payload hash is what a signer may have used:

* a non-empty body: the value of ``X-Sdk-Content-Sha256`` when that header is signed (Huawei's
  signer sends ``UNSIGNED-PAYLOAD`` for any Content-Type but JSON/BSON), else the body's SHA-256;
* an empty body: the empty-body hash -- ``huaweicloudsdkcore`` uses it even when it added
  ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` -- or the signed ``X-Sdk-Content-Sha256`` value, as
  the reference's recipe reads it.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import time
from typing import Callable, Mapping
from urllib.parse import parse_qsl, quote, unquote

from gcsapply.emulator.errors import BadSdkDate, BadSignature

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW_S = 15 * 60
CONTENT_SHA256 = "x-sdk-content-sha256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def verify(method: str, path: str, raw_query: str, headers: Mapping[str, str], body: bytes,
           secret_for: Callable[[str], str | None], now: float) -> str:
    """The access key of a correctly signed request received at ``now`` (epoch seconds).

    ``headers`` as received (latin-1 text, any case); ``secret_for(access)`` is the SK of an AK or
    None. BadSdkDate when ``X-Sdk-Date`` is missing, malformed or more than 15 minutes off;
    BadSignature for anything else that is wrong, saying what.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    sdk_date = lowered.get("x-sdk-date")
    check_sdk_date(sdk_date, now)
    access, signed, signature = parse_authorization(lowered.get("authorization", ""))
    if "host" not in signed or "x-sdk-date" not in signed:
        raise BadSignature("SignedHeaders must include host and x-sdk-date")
    sk = secret_for(access)
    if sk is None:
        raise BadSignature("unknown access key")
    for payload_hash in _payload_hashes(lowered, body, signed):
        canonical = canonical_request(method, path, raw_query, lowered, signed, payload_hash)
        expected = sign(sk, string_to_sign(canonical, sdk_date))
        if hmac.compare_digest(expected.encode(), signature.encode()):  # any text, constant time
            return access
    raise BadSignature("signature does not match")


def check_sdk_date(value: str | None, now: float) -> None:
    """``X-Sdk-Date`` is present, ``YYYYMMDDTHHMMSSZ``, and within 15 minutes of ``now``."""
    if not value:
        raise BadSdkDate("X-Sdk-Date header is missing")
    try:
        signed_at = parse_sdk_date(value)
    except ValueError:
        raise BadSdkDate(f"X-Sdk-Date {value!r} is not YYYYMMDDTHHMMSSZ") from None
    if abs(now - signed_at) > MAX_CLOCK_SKEW_S:
        raise BadSdkDate("X-Sdk-Date is more than 15 minutes from the server clock")


def parse_sdk_date(value: str) -> float:
    """Epoch seconds of an ``X-Sdk-Date`` value (UTC); ValueError when malformed."""
    return float(calendar.timegm(time.strptime(value, DATE_FORMAT)))


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """``(access, signed header names, signature)`` of
    ``SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex``; BadSignature if malformed."""
    if not value or not value.startswith(ALGORITHM + " "):
        raise BadSignature(f"Authorization does not start with {ALGORITHM}")
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        key, sep, field_value = part.strip().partition("=")
        if not sep:
            raise BadSignature(f"malformed Authorization field {part.strip()!r}")
        fields[key.strip()] = field_value.strip()
    for key in ("Access", "SignedHeaders", "Signature"):
        if key not in fields:
            raise BadSignature(f"Authorization lacks {key}")
    access, signed, signature = fields["Access"], fields["SignedHeaders"], fields["Signature"]
    if not access or not signed or not signature:
        raise BadSignature("Authorization has an empty Access, SignedHeaders or Signature")
    return access, signed.split(";"), signature


def canonical_request(method: str, path: str, raw_query: str, headers: Mapping[str, str],
                      signed_headers: list[str], payload_hash: str) -> str:
    """The canonical request of a received request; BadSignature if a signed header is absent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in signed_headers if name not in lowered]
    if missing:
        raise BadSignature(f"signed header(s) not on the request: {', '.join(missing)}")
    header_block = "".join(f"{name}:{_wire_text(lowered[name]).strip()}\n" for name in signed_headers)
    return "\n".join([method.upper(), _canonical_uri(path), _canonical_query(raw_query),
                      header_block, ";".join(signed_headers), payload_hash])


def string_to_sign(canonical: str, sdk_date: str) -> str:
    """``SDK-HMAC-SHA256\\n<X-Sdk-Date>\\n<hex SHA-256 of the canonical request>``."""
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def sign(sk: str, text: str) -> str:
    """Hex HMAC-SHA256 of ``text`` keyed by the secret key."""
    return hmac.new(sk.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical_uri(path: str) -> str:
    """Decode the path, percent-encode each segment (RFC 3986 unreserved kept), end with ``/``."""
    uri = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def _canonical_query(raw_query: str) -> str:
    """Decoded pairs sorted by name then value, re-encoded, ``name=value`` joined by ``&``."""
    pairs = sorted(parse_qsl(raw_query or "", keep_blank_values=True))
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def _payload_hashes(headers: Mapping[str, str], body: bytes, signed: list[str]) -> list[str]:
    """The payload hashes a signer may have used for this body (see the module docstring)."""
    given = headers.get(CONTENT_SHA256)
    declared = given.strip() if given and CONTENT_SHA256 in signed else None
    if body:
        return [declared if declared is not None else hashlib.sha256(body).hexdigest()]
    return [EMPTY_BODY_SHA256] + ([declared] if declared not in (None, EMPTY_BODY_SHA256) else [])


def _wire_text(value: str) -> str:
    """A header value as its sender wrote it: HTTP delivers bytes as latin-1 text; a signer
    that sent UTF-8 (as Huawei's does) signed the UTF-8 text. Other bytes stay as received."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _encode(text: str) -> str:
    return quote(text, safe="~")
