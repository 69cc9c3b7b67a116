"""Authentication objects attached once to a session: AK/SK signing and IAM tokens.

API methods never touch signatures or tokens; these ``requests.auth.AuthBase`` objects do.
Neither ever shows a secret in ``repr`` or logs.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Mapping
from urllib.parse import urlsplit

import requests

from gcsapply.client import signing
from gcsapply.client.session import parse_error_body
from gcsapply.clock import SystemClock
from gcsapply.errors import ApiError, ServerError, TransportError, api_error_class

log = logging.getLogger("gcsapply.client")

# Headers the HTTP stack adds or may rewrite in transit (requests' defaults, hop-by-hop and
# framing headers). huaweicloudsdkcore's Signer signs the headers of its own request object,
# before its HTTP library adds these, so they are neither signed nor rewritten here. (Huawei's
# full client does put its own User-Agent on that object and signs it; the reference's vectors,
# made with the Signer alone, sign none of these.)
TRANSPORT_HEADERS = ("Accept", "Accept-Encoding", "Connection", "Content-Length",
                     "Transfer-Encoding", "User-Agent", "Authorization")
_TRANSPORT = {name.lower() for name in TRANSPORT_HEADERS}


class AkSkAuth(requests.auth.AuthBase):
    """SDK-HMAC-SHA256 signing, byte-compatible with ``huaweicloudsdkcore`` ``BasicCredentials``.

    Does what Huawei's signer does to its request, in its order: a text body becomes its UTF-8
    bytes; ``X-Project-Id`` (and ``X-Security-Token`` for temporary credentials) are set;
    ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` is added for a non-JSON ``Content-Type``;
    ``X-Sdk-Date`` is added unless the request already has one (ValueError if that one is not
    ``YYYYMMDDTHHMMSSZ``); ``Host`` is added unless the caller set one; every header whose name
    has no ``_`` is signed, and every header value is trimmed and sent as UTF-8. The headers the
    HTTP stack adds (``TRANSPORT_HEADERS``) are neither signed nor rewritten."""

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
        body = _bytes_body(request)
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        if signing.is_unsigned_content_type(_exactly_named(headers, signing.HEADER_CONTENT_TYPE)):
            headers[signing.HEADER_CONTENT_SHA256] = signing.UNSIGNED_PAYLOAD
        if signing.HEADER_DATE not in headers:
            headers[signing.HEADER_DATE] = signing.format_sdk_date(self._clock.now())
        sdk_date = signing.signing_date(signing.header_text(headers[signing.HEADER_DATE]))
        if "Host" not in headers:
            headers["Host"] = url.netloc.rpartition("@")[2]
        signed = signing.signed_header_names(headers.keys(), exclude=TRANSPORT_HEADERS)
        texts = {name: signing.header_text(value).strip() for name, value in headers.items()
                 if name.lower() not in _TRANSPORT}
        for name, text in texts.items():
            headers[name] = signing.wire_header_value(text)
        if body is None and request.body is not None and not headers.get(signing.HEADER_CONTENT_SHA256):
            raise ValueError("cannot sign a streamed body without X-Sdk-Content-Sha256")
        canonical = signing.canonical_request(
            request.method, url.path or "/", signing.parse_query_string(url.query), texts, signed,
            signing.request_payload_hash(headers, body if body is not None else request.body, signed))
        signature = signing.sign(self._sk, signing.string_to_sign(canonical, sdk_date))
        headers["Authorization"] = signing.build_authorization(self.ak, signed, signature)
        return request


class TokenAuth(requests.auth.AuthBase):
    """IAM password flow (reference §5.1): a project-scoped token sent as ``X-Auth-Token``.

    The token is fetched on first use, cached in memory until shortly before ``expires_at``, and
    fetched again once when GCS answers 401 (the session calls :meth:`invalidate`). One fetch at
    a time: concurrent callers wait for it and share the result. A refused password raises
    :class:`AuthError` with IAM's error code and message; no answer raises TransportError.
    A redirect is never followed (a 307 would carry the password to wherever it points): it
    raises an ApiError. Which hosts may receive the password is decided before this object is
    made (``config.check_trusted_target``)."""

    EXPIRY_MARGIN_S = 300.0
    DEFAULT_LIFETIME_S = 24 * 3600.0

    def __init__(self, iam_url: str, username: str, password: str, domain_name: str,
                 project_name: str | None = None, project_id: str | None = None, *,
                 verify: bool | str = True, timeout: float = 30, clock=None,
                 http: requests.Session | None = None):
        if not (username and password and domain_name):
            raise ValueError("TokenAuth needs a user name, a password and a domain (account) name")
        if not (project_name or project_id):
            raise ValueError("TokenAuth needs a project name or a project id to scope the token")
        self.iam_url = iam_url
        self.username = username
        self._password = password
        self.domain_name = domain_name
        self.project_name = project_name
        self.project_id = project_id
        self.verify = verify
        self.timeout = timeout
        self.fetches = 0
        self.token_project_id: str | None = None
        self._clock = clock or SystemClock()
        self._http = http or requests.Session()
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"TokenAuth(iam_url={self.iam_url!r}, username={self.username!r}, password=<redacted>, "
                f"domain_name={self.domain_name!r}, project={self.project_id or self.project_name!r})")

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self.token()
        return request

    def token(self) -> str:
        """The cached token, fetched first if there is none or it is about to expire."""
        with self._lock:
            if self._token is None or self._clock.now() >= self._expires_at:
                self._token, self._expires_at = self._fetch()
            return self._token

    def invalidate(self, used_token: str | None) -> bool:
        """Forget ``used_token`` after a 401, so the next request fetches a new one.

        Returns True when a retry with a fresh token makes sense (the token was ours)."""
        if used_token is None:
            return False
        with self._lock:
            if self._token == used_token:
                self._token = None
            return True

    def _fetch(self) -> tuple[str, float]:
        scope = {"id": self.project_id} if self.project_id else {"name": self.project_name}
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.username, "password": self._password,
                "domain": {"name": self.domain_name}}}},
            "scope": {"project": scope}}}
        operation = "POST /v3/auth/tokens"
        try:
            response = self._http.post(self.iam_url, json=body, timeout=self.timeout, verify=self.verify,
                                       headers={"Content-Type": "application/json;charset=utf8"},
                                       allow_redirects=False)
        except requests.RequestException as exc:
            raise TransportError(f"no answer from IAM at {self.iam_url}: {type(exc).__name__}",
                                 where=operation, hint="check the endpoint and the network") from exc
        self.fetches += 1
        log.debug("IAM token request for user %s (project %s): HTTP %s", self.username,
                  self.project_id or self.project_name, response.status_code)
        token = response.headers.get("X-Subject-Token")
        if response.status_code >= 400 or not token:
            raise _iam_error(response, operation)
        issued = self._clock.now()
        expires = _parse_expiry(response, issued + self.DEFAULT_LIFETIME_S)
        self.token_project_id = _token_project_id(response) or self.project_id
        return token, max(issued, expires - self.EXPIRY_MARGIN_S)


def _iam_error(response: requests.Response, operation: str) -> ApiError:
    if 300 <= response.status_code < 400:
        error = ApiError(response.status_code, f"HTTP.{response.status_code}",
                         "IAM answered with a redirect; a password never follows one",
                         operation=operation, hint="point the endpoint at the URL IAM answers on")
        error.response = response
        return error
    if response.status_code < 400:  # success without a token: treat as a server fault
        error = ServerError(response.status_code, "IAM.NoToken",
                            "IAM answered without an X-Subject-Token header", operation=operation)
        error.response = response
        return error
    code, message, request_id = parse_error_body(response)
    error = api_error_class(response.status_code)(
        response.status_code, code, message, request_id, operation=operation,
        hint="check HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME (or the SDK's username, "
             "password and domain_name) and the project")
    error.response = response
    return error


def _parse_expiry(response: requests.Response, default: float) -> float:
    try:
        value = response.json()["token"]["expires_at"]
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError, AttributeError):
        return default


def _token_project_id(response: requests.Response) -> str | None:
    try:
        return response.json()["token"]["project"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


def _bytes_body(request: requests.PreparedRequest) -> bytes | None:
    """The body as the bytes that will be sent, a text body turned into UTF-8 first (as Huawei's
    signer does; ``http.client`` would send text as latin-1); None for a streamed body."""
    body = request.body
    if isinstance(body, str):
        request.body = body.encode("utf-8")
        request.prepare_content_length(request.body)
    elif isinstance(body, (bytearray, memoryview)):
        request.body = bytes(body)
    return request.body if isinstance(request.body, bytes) or request.body is None else None


def _exactly_named(headers: Mapping[str, str], name: str) -> str | None:
    """The value of the header spelt exactly ``name`` (Huawei's signer looks ``Content-Type`` up
    in a plain dict, so ``content-type: text/plain`` gets no ``UNSIGNED-PAYLOAD``)."""
    value = next((value for key, value in headers.items() if key == name), None)
    return None if value is None else signing.header_text(value)
