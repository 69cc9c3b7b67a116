"""The HTTP session every GCS call goes through: pooling, timeouts, TLS, retries, rate limits.

Retry rules (DESIGN §5):

* GET/HEAD are retried on connection errors and 5xx answers;
* any method is retried on 429 (the service rejected it before doing anything);
* a POST/PUT/DELETE that gets no answer or a 5xx is NOT retried: the outcome is unknown, and the
  engine resolves it by an exact-name lookup before sending it again.

Waits honour ``Retry-After`` (seconds or an HTTP date), else jittered exponential backoff; they
sleep through the injected clock and end early with :class:`Interrupted` when ``stop_event`` is
set. The retries live here rather than in ``urllib3.Retry`` because every attempt must take a
rate-limit token and sleep through the injected clock. Each attempt counts in ``calls``.
"""

from __future__ import annotations

import collections
import email.utils
import json as jsonlib
import logging
import random
import threading
from typing import Iterable, Mapping

import requests
from requests.adapters import HTTPAdapter

from gcsapply import __version__
from gcsapply.client import signing
from gcsapply.client.limiter import TokenBucket, wait_interruptibly
from gcsapply.clock import SystemClock
from gcsapply.errors import ApiError, TransportError, api_error_class

log = logging.getLogger("gcsapply.client")

READ_METHODS = frozenset({"GET", "HEAD"})
RETRY_STATUSES_READ = frozenset(range(500, 600))
MAX_RETRY_AFTER_S = 300.0
REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "x-auth-token", "x-subject-token", "x-security-token"})
SECRET_FIELDS = frozenset({"password", "sk", "ak", "secret", "secret_key", "access_key",
                           "security_token", "securitytoken", "x-auth-token"})
# Path segments that are literal words; any other segment is an id (``{id}``) in ``calls``.
PATH_WORDS = frozenset({"v1", "v3", "environments", "workflows", "executions", "executions_iter",
                        "tools", "archive", "inputs", "outputs", "events", "validate", "cromwell",
                        "executions-extend", "stop", "resource-usage", "auth", "tokens", "_emulator",
                        "reset", "faults", "stats", "clock", "seed"})
_HINTS = {
    401: "check the credentials (HW_ACCESS_KEY/HW_SECRET_KEY or HW_USER_NAME/HW_USER_PASSWORD/"
         "HW_DOMAIN_NAME) and the project id",
    403: "the credentials lack permission for this operation in this project",
    429: "lower spec.rateLimit or --parallelism; the call was not performed",
}
_REDIRECT_HINT = ("GCS does not redirect, and gcsapply never follows a redirect (credentials stay "
                  "with the endpoint): check spec.endpoint")


class GcsSession:
    """A ``requests.Session`` bound to one GCS endpoint and one auth object."""

    def __init__(self, endpoint: str, auth: requests.auth.AuthBase | None, *,
                 reads_per_minute: float = 600, writes_per_minute: float = 300,
                 timeout: float = 30, verify: bool | str = True, clock=None, max_retries: int = 5,
                 stop_event: threading.Event | None = None, pool_size: int = 64,
                 backoff_base_s: float = 0.5, backoff_cap_s: float = 30.0,
                 rng: random.Random | None = None):
        self.endpoint = endpoint.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.clock = clock or SystemClock()
        self.max_retries = max_retries
        self.stop_event = stop_event
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.reads = TokenBucket(reads_per_minute, self.clock)
        self.writes = TokenBucket(writes_per_minute, self.clock)
        self.calls: collections.Counter[str] = collections.Counter()
        self._calls_lock = threading.Lock()
        self._rng = rng or random.Random()
        self._http = requests.Session()
        self._http.verify = verify
        self._http.headers["User-Agent"] = f"gcsapply/{__version__} {requests.utils.default_user_agent()}"
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)

    def __repr__(self) -> str:
        return f"GcsSession({self.endpoint!r}, auth={self.auth!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "GcsSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, path: str, *, params=None, json=None, files=None, data=None,
                operation: str | None = None, headers: Mapping[str, str] | None = None,
                changes_nothing: bool = False) -> requests.Response:
        """Send with the retry rules; raise an ``ApiError`` subclass for an error status or a
        redirect (never followed: credentials stay with the endpoint)."""
        response = self.send(method, path, params=params, json=json, files=files, data=data,
                             operation=operation, headers=headers, changes_nothing=changes_nothing)
        if response.status_code >= 300:
            raise api_error_from_response(response, f"{method.upper()} {path}")
        return response

    def send(self, method: str, path: str, *, params=None, json=None, files=None, data=None,
             operation: str | None = None, headers: Mapping[str, str] | None = None,
             changes_nothing: bool = False) -> requests.Response:
        """Send with the retry rules and return the last response, whatever its status.

        ``changes_nothing`` marks a write-method call that is safe to repeat (the template
        validate POST): it is retried like a read, though it still takes a write token.
        Raises :class:`TransportError` when no answer came back (after retries, for reads)."""
        method = method.upper()
        template = operation or path_template(method, path)
        url = self.endpoint + path
        query = signing.encode_query(_query_pairs(params))
        if query:
            url += "?" + query
        body, content_type = (_json_body(json) if json is not None else (data, None))
        send_headers = dict(headers or {})
        if content_type:
            send_headers.setdefault("Content-Type", content_type)
        is_read = method in READ_METHODS
        bucket = self.reads if is_read else self.writes
        repeatable = is_read or changes_nothing
        attempt = 0
        refreshed = False
        while True:
            bucket.acquire(self.stop_event)
            with self._calls_lock:
                self.calls[template] += 1
            try:
                response = self._http.request(method, url, data=body, files=files, headers=send_headers,
                                              auth=self.auth, timeout=self.timeout, allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise TransportError(f"TLS error talking to {self.endpoint}: {exc}", where=f"{method} {path}",
                                     hint="check the endpoint's certificate (REQUESTS_CA_BUNDLE)") from exc
            except requests.RequestException as exc:
                _debug_exchange(method, url, send_headers, body, None, exc)
                if repeatable and attempt < self.max_retries:
                    self._backoff(attempt, None)
                    attempt += 1
                    continue
                raise _transport_error(method, path, exc, attempts=attempt + 1) from exc
            _debug_exchange(method, url, response.request.headers, response.request.body, response, None)
            status = response.status_code
            if status == 401 and not refreshed and _refresh_auth(self.auth, response):
                refreshed = True
                continue
            retryable = status == 429 or (repeatable and status in RETRY_STATUSES_READ)
            if retryable and attempt < self.max_retries:
                self._backoff(attempt, parse_retry_after(response.headers.get("Retry-After"), self.clock.now()))
                attempt += 1
                continue
            return response

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, MAX_RETRY_AFTER_S)
        else:
            ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2 ** attempt))
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        wait_interruptibly(self.clock, delay, self.stop_event)


def api_error_from_response(response: requests.Response, operation: str) -> ApiError:
    """The ``ApiError`` subclass for an error response; clear even when the body is not JSON."""
    status = response.status_code
    code, message, request_id = parse_error_body(response)
    request_id = request_id or response.headers.get("X-Request-Id")
    retry_after = parse_retry_after(response.headers.get("Retry-After"), None)
    hint = _REDIRECT_HINT if 300 <= status < 400 else _HINTS.get(status)
    error = api_error_class(status)(status, code, message, request_id, operation=operation,
                                    retry_after=retry_after, hint=hint)
    error.response = response
    return error


def parse_error_body(response: requests.Response) -> tuple[str, str, str | None]:
    """``(error_code, error_msg, request_id)`` of GCS, API-gateway and IAM error bodies."""
    reason = response.reason or "error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if "error_code" in body or "error_msg" in body:
            return (str(body.get("error_code") or f"HTTP.{response.status_code}"),
                    str(body.get("error_msg") or reason), body.get("request_id"))
        nested = body.get("error")
        if isinstance(nested, dict):  # IAM: {"error": {"code": 401, "message", "title"}}
            return (str(nested.get("code") or f"HTTP.{response.status_code}"),
                    str(nested.get("message") or nested.get("title") or reason), body.get("request_id"))
    text = (response.text or "").strip().replace("\n", " ")
    snippet = (text[:200] + "...") if len(text) > 200 else text
    message = f"{reason} (non-JSON error body: {snippet!r})" if snippet else f"{reason} (empty error body)"
    return f"HTTP.{response.status_code}", message, None


def parse_retry_after(value: str | None, now: float | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return None if now is None else max(0.0, when - now)


def path_template(method: str, path: str) -> str:
    """``"GET /v1/executions/{id}"``: ids replaced so ``calls`` counts per operation."""
    segments = path.split("?", 1)[0].split("/")
    shown = []
    for index, segment in enumerate(segments):
        if segment in PATH_WORDS or not segment:
            shown.append(segment)
        elif segments[index + 1:index + 2] == ["executions-extend"]:  # /v1/{project_id}/executions-extend
            shown.append("{project_id}")
        else:
            shown.append("{id}")
    return f"{method.upper()} {'/'.join(shown)}"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of the headers with credentials replaced by ``<redacted>``."""
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def redact_body(value):
    """A copy of a JSON value with secret fields (password, sk, ak, ...) replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_FIELDS else redact_body(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_body(v) for v in value]
    return value


def _refresh_auth(auth, response: requests.Response) -> bool:
    invalidate = getattr(auth, "invalidate", None)
    if invalidate is None:
        return False
    return bool(invalidate(response.request.headers.get("X-Auth-Token")))


def _query_pairs(params) -> list[tuple[str, object]]:
    if not params:
        return []
    items: Iterable = params.items() if isinstance(params, Mapping) else params
    return [(k, v) for k, v in items if v is not None]


def _json_body(value) -> tuple[bytes, str]:
    text = jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8"), "application/json;charset=UTF-8"


def _transport_error(method: str, path: str, exc: Exception, *, attempts: int) -> TransportError:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "got no answer"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if method in READ_METHODS:
        hint = "check the endpoint and the network"
    else:
        hint = "the outcome is unknown: look the object up by name before sending it again"
    return TransportError(f"{method} {path} {kind}{tries}: {type(exc).__name__}", where=f"{method} {path}",
                          hint=hint)


def _debug_exchange(method, url, headers, body, response, exc) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug("-> %s %s headers=%s body=%s", method, url, redact_headers(dict(headers)), _loggable(body))
    if exc is not None:
        log.debug("<- %s %s: no answer (%s: %s)", method, url, type(exc).__name__, exc)
        return
    log.debug("<- %s %s: %s headers=%s body=%s", method, url, response.status_code,
              redact_headers(dict(response.headers)), _loggable(response.content))


def _loggable(body) -> str:
    if not body:
        return "-"
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes):
        return f"<{type(body).__name__}>"
    try:
        value = jsonlib.loads(body)
    except ValueError:
        return f"<{len(body)} bytes, not JSON>"
    text = jsonlib.dumps(redact_body(value), ensure_ascii=False)
    return text if len(text) <= 2000 else text[:2000] + "..."
