"""Requests and responses as plain data, between the HTTP server and the handlers, and how
values look on the wire: JSON bodies (``decode_json``, the one way a JSON text is read), decoded
query strings and ``YYYY-MM-DDThh:mm:ssZ`` timestamps."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from gcsapply.emulator.errors import BadBody, BadField

MAX_JSON_DEPTH = 64  # arrays and objects nested deeper are refused
MAX_JSON_INTEGER = 2**63 - 1  # what the service's 64-bit integers hold
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Part:
    """One multipart/form-data part."""

    name: str
    content: bytes
    filename: str | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@dataclass
class Request:
    method: str
    path: str  # raw path as received, without the query
    query: list[tuple[str, str]]  # decoded, in order, blanks kept
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    raw_query: str = ""  # as received, still percent-encoded (the signature covers it)
    params: dict[str, str] = field(default_factory=dict)  # from the route template
    project_id: str | None = None  # set by authentication
    principal: str | None = None  # the credential: an AK or an IAM user name

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        for key, value in self.query:
            if key == name:
                return value
        return default

    def json(self, *, required: bool = True) -> dict:
        """The body as a JSON object; ``BadBody`` if it is not one."""
        if not self.body.strip():
            if required:
                raise BadBody("the request body is empty; a JSON object is expected")
            return {}
        return decode_json_object(self.body, "the body")

    def is_multipart(self) -> bool:
        return (self.header("content-type") or "").lower().startswith("multipart/form-data")

    def parts(self) -> dict[str, Part]:
        """The multipart/form-data parts by name (the last one wins)."""
        content_type = self.header("content-type") or ""
        if not content_type.lower().startswith("multipart/form-data"):
            raise BadBody(f"expected multipart/form-data, got {content_type or 'no Content-Type'!r}")
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        if not message.is_multipart():
            raise BadBody("the multipart body could not be parsed")
        parts = {}
        for sub in message.iter_parts():
            name = sub.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = sub.get_payload(decode=True) or b""
            parts[str(name)] = Part(str(name), payload, sub.get_filename())
        return parts


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: bool = False  # fault: close the socket instead of answering (the work is done)

    @classmethod
    def json(cls, status: int, value, headers: dict | None = None) -> "Response":
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, data, headers=dict(headers or {}))

    @classmethod
    def empty(cls, status: int = 204) -> "Response":
        return cls(status, b"", content_type=None)

    @classmethod
    def raw(cls, status: int, body: bytes, content_type: str, headers: dict | None = None) -> "Response":
        return cls(status, body, content_type=content_type, headers=dict(headers or {}))


def decode_json_object(data: bytes | str, what: str) -> dict:
    """``decode_json`` that must give an object."""
    value = decode_json(data, what)
    if not isinstance(value, dict):
        raise BadBody(f"{what} must be a JSON object")
    return value


def decode_json(data: bytes | str, what: str):
    """A JSON text as the service reads one (RFC 8259, UTF-8; a leading BOM is tolerated).

    BadBody when it is not JSON: bytes that are not UTF-8, bad syntax, nesting deeper than
    ``MAX_JSON_DEPTH``. BadField naming the path of a value JSON interchange cannot carry:
    ``NaN``/``Infinity`` (and numbers beyond a double, which Python reads as infinite), integers
    beyond 64 bits, lone surrogates (``"\\ud800"``; SQLite and UTF-8 cannot hold them).
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadBody(f"{what} is not UTF-8 (byte {exc.object[exc.start]:#04x} at offset "
                          f"{exc.start})") from None
    try:
        value = json.loads(data, parse_int=_parse_int)
    except RecursionError:
        raise BadBody(f"{what} nests arrays or objects deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise BadBody(f"{what} is not valid JSON ({exc})") from None
    found = _unfit_value(value, 0)
    if found is not None:
        path, problem, error = found  # too deep: the path would be as long, and say nothing
        raise error(f"{what if error is BadBody else _render_path(what, path)} {problem}")
    return value


def parse_query_string(raw: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs of a raw query string, in order, blank values kept."""
    return parse_qsl(raw or "", keep_blank_values=True)


def iso(ts: float | None) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` as in the reference's examples ("" for no time)."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_int(digits: str) -> int:
    """An integer literal; one far beyond 64 bits is refused before Python converts it."""
    if len(digits) > 40:
        raise ValueError(f"an integer literal of {len(digits)} characters is beyond 64 bits")
    return int(digits)


def _unfit_value(value, depth: int) -> tuple[list, str, type] | None:
    """``(path, problem, error class)`` of the first value ``decode_json`` refuses, or None.
    Recursive, but never deeper than ``MAX_JSON_DEPTH``."""
    if isinstance(value, str):
        return ([], "holds a lone surrogate (U+D800-U+DFFF), which UTF-8 cannot carry", BadField
                ) if _has_surrogate(value) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (
            [], "is not a finite number (NaN, Infinity or beyond 1.8e308)", BadField)
    if isinstance(value, int):
        return None if abs(value) <= MAX_JSON_INTEGER else (
            [], f"is an integer beyond 64 bits (at most {MAX_JSON_INTEGER} either way)", BadField)
    if depth >= MAX_JSON_DEPTH:
        return [], f"nests arrays or objects deeper than {MAX_JSON_DEPTH} levels", BadBody
    for key, child in (value.items() if isinstance(value, dict) else enumerate(value)):
        if isinstance(key, str) and _has_surrogate(key):
            return [key], "is a key holding a lone surrogate (U+D800-U+DFFF)", BadField
        found = _unfit_value(child, depth + 1)
        if found is not None:
            found[0].insert(0, key)
            return found
    return None


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def _render_path(what: str, path: list) -> str:
    """``advance_s``, ``executions[0].label["a b"]`` -- ASCII only, so an error can quote it."""
    if not path:
        return what
    rendered = ""
    for key in path:
        if isinstance(key, int):
            rendered += f"[{key}]"
        elif _PLAIN_KEY.fullmatch(key):
            rendered += f".{key}" if rendered else key
        else:
            rendered += f"[{json.dumps(key)}]"
    return rendered
