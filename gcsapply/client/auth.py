"""Authentication objects attached once to a session: AK/SK signing and IAM tokens.

API methods never touch signatures or tokens; these ``requests.auth.AuthBase`` objects do.
Neither ever shows a secret in ``repr`` or logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from gcsapply.client import signing
from gcsapply.clock import SystemClock

# Headers the HTTP stack adds or may rewrite in transit (requests' defaults, hop-by-hop and
# framing headers). huaweicloudsdkcore signs the headers of its own request object, before its
# HTTP library adds these, so they are not signed here either.
TRANSPORT_HEADERS = ("Accept", "Accept-Encoding", "Connection", "Content-Length",
                     "Transfer-Encoding", "User-Agent", "Authorization")


class AkSkAuth(requests.auth.AuthBase):
    """SDK-HMAC-SHA256 signing, byte-compatible with ``huaweicloudsdkcore`` ``BasicCredentials``.

    Adds ``X-Project-Id`` (and ``X-Security-Token`` for temporary credentials), ``Host``,
    ``X-Sdk-Date`` unless the request already has one, ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD``
    for a non-JSON body, and signs every header whose name has no ``_``."""

    def __init__(self, ak: str, sk: str, project_id: str | None, security_token: str | None = None,
                 *, clock=None):
        if not ak or not sk:
            raise ValueError("AkSkAuth needs both an access key and a secret key")
        self.ak = ak
        self._sk = sk
        self.project_id = project_id
        self._security_token = security_token
        self._clock = clock or SystemClock()

    def __repr__(self) -> str:
        return f"AkSkAuth(ak={self.ak!r}, sk=<redacted>, project_id={self.project_id!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(request.url)
        headers = request.headers
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        headers["Host"] = url.netloc.rpartition("@")[2]
        if not headers.get(signing.HEADER_DATE):
            headers[signing.HEADER_DATE] = signing.format_sdk_date(self._clock.now())
        if signing.is_unsigned_content_type(headers.get("Content-Type")):
            headers[signing.HEADER_CONTENT_SHA256] = signing.UNSIGNED_PAYLOAD
        signed = signing.signed_header_names(headers.keys(), exclude=TRANSPORT_HEADERS)
        body = request.body if isinstance(request.body, (bytes, str)) or request.body is None else None
        if body is None and request.body is not None and not headers.get(signing.HEADER_CONTENT_SHA256):
            raise ValueError("cannot sign a streamed body without X-Sdk-Content-Sha256")
        canonical = signing.canonical_request(
            request.method, url.path or "/", signing.parse_query_string(url.query), headers, signed,
            signing.request_payload_hash(headers, body, signed))
        signature = signing.sign(self._sk, signing.string_to_sign(canonical, headers[signing.HEADER_DATE]))
        headers["Authorization"] = signing.build_authorization(self.ak, signed, signature)
        return request
