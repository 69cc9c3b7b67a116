"""SDK-HMAC-SHA256 request signing, as pure functions: sign only.

Used by :class:`gcsapply.client.auth.AkSkAuth`. The emulator verifies signatures with its own
code (:mod:`gcsapply.emulator.sigv`), so a canonicalisation bug here cannot hide in both; the
client's tests check their requests with that verifier, and against Huawei's own signer
(``huaweicloudsdkcore`` 3.1.219 ``Signer``), which every rule here follows (nothing here touches
``requests``)::

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n
                       SignedHeaders \\n HexPayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(SK, StringToSign))
    Authorization    = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"

Huawei's rules, where the reference (§5.2) says less:

* the payload hash of an empty body is the empty-body hash, even when ``X-Sdk-Content-Sha256:
  UNSIGNED-PAYLOAD`` is on the request (a non-JSON ``Content-Type``); of a non-empty body it is the
  trimmed ``X-Sdk-Content-Sha256`` when one is set, else the body's SHA-256;
* a body given as text is signed and sent as its UTF-8 bytes;
* ``UNSIGNED-PAYLOAD`` is added when the header spelt exactly ``Content-Type`` holds a value that
  does not start with ``application/json`` or ``application/bson`` (case-sensitive both);
* header values are trimmed (any Unicode whitespace), signed as text and sent as UTF-8;
* the query is sorted as ``(name, value)`` pairs before encoding; a list value is sorted and each
  element written with ``str`` (so booleans in a list are ``True``/``False``), a lone boolean is
  ``true``/``false``;
* the ``X-Sdk-Date`` in the string to sign is the header's date, parsed and written again.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from typing import Iterable, Mapping
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
HEADER_DATE = "X-Sdk-Date"
HEADER_CONTENT_SHA256 = "X-Sdk-Content-Sha256"
HEADER_CONTENT_TYPE = "Content-Type"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Content types whose bodies are hashed; any other Content-Type is sent UNSIGNED-PAYLOAD.
_HASHED_CONTENT_TYPES = ("application/json", "application/bson")


def canonical_request(method: str, path: str, query: Iterable[tuple[str, object]],
                      headers: Mapping[str, object], signed_headers: list[str],
                      payload_hash: str) -> str:
    """The canonical request; ``headers`` may use any case; ``signed_headers`` are lower-case."""
    lowered = {name.lower(): header_text(value).strip() for name, value in headers.items()}
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
    """``name=value`` pairs, both percent-encoded, in the order ``huaweicloudsdkcore`` writes them.

    The pairs are sorted as given (by name, then by value: numbers as numbers); a list value
    becomes repeated pairs, its elements sorted and written with ``str``; a lone boolean is
    ``true``/``false``; an empty value keeps its ``=``."""
    parts: list[str] = []
    for name, value in _sorted(list(query)):
        key = _encode(str(name))
        if isinstance(value, list):
            parts.extend(f"{key}={_encode(str(element))}" for element in _sorted(value))
        else:
            parts.append(f"{key}={_encode(query_value(value))}")
    return "&".join(parts)


def query_value(value: object) -> str:
    """The string a lone query value is sent as (Python booleans become ``true``/``false``)."""
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
    """True when a body of this Content-Type is sent ``UNSIGNED-PAYLOAD`` (multipart, text,
    files...): any value but one starting with ``application/json`` or ``application/bson``,
    compared case-sensitively as ``huaweicloudsdkcore`` does."""
    return bool(content_type) and not content_type.startswith(_HASHED_CONTENT_TYPES)


def payload_hash(body: bytes | str | None) -> str:
    """Lower-case hex SHA-256 of the body (the empty-body hash for ``None``)."""
    if body is None:
        return EMPTY_PAYLOAD_HASH
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def request_payload_hash(headers: Mapping[str, object], body: bytes | str | None,
                         signed_headers: list[str] | None = None) -> str:
    """The payload hash ``huaweicloudsdkcore`` signs: the empty-body hash for an empty body (even
    under ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD``); else the trimmed ``X-Sdk-Content-Sha256``
    when it is set (and signed, when ``signed_headers`` is given); else the body's SHA-256."""
    if not body:
        return EMPTY_PAYLOAD_HASH
    lowered = {name.lower(): header_text(value).strip() for name, value in headers.items()}
    declared = lowered.get(HEADER_CONTENT_SHA256.lower())
    if declared and (signed_headers is None or HEADER_CONTENT_SHA256.lower() in signed_headers):
        return declared
    return payload_hash(body)


def header_text(value: object) -> str:
    """A header value as text: bytes as the UTF-8 (else latin-1) text they spell."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    return str(value)


def wire_header_value(value: object) -> str:
    """What ``huaweicloudsdkcore`` puts on the request for a header it signs: the trimmed text
    as UTF-8 bytes, held as latin-1 text (the way HTTP libraries send header strings)."""
    return header_text(value).strip().encode("utf-8").decode("latin-1")


def signing_date(sdk_date: str) -> str:
    """The date of the string to sign: ``X-Sdk-Date`` parsed and written again, as Huawei's
    signer does. ValueError when it is not ``YYYYMMDDTHHMMSSZ``."""
    try:
        return datetime.strptime(sdk_date, DATE_FORMAT).strftime(DATE_FORMAT)
    except (TypeError, ValueError):
        raise ValueError(f"{HEADER_DATE} {sdk_date!r} is not YYYYMMDDTHHMMSSZ") from None


def format_sdk_date(epoch_seconds: float) -> str:
    """``YYYYMMDDTHHMMSSZ`` in UTC."""
    return time.strftime(DATE_FORMAT, time.gmtime(epoch_seconds))


def _sorted(items: list) -> list:
    """Sorted as Python sorts the values themselves (Huawei's order); by their text when the
    values cannot be compared (mixed types, where Huawei's signer raises TypeError)."""
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=_as_text)


def _as_text(item: object) -> object:
    if isinstance(item, tuple):
        return tuple(_as_text(part) for part in item)
    return str(item)


def _encode(text: str) -> str:
    return quote(text, safe="~")
