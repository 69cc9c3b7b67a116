"""Requests and responses as plain data, between the HTTP server and the handlers, and how
values look on the wire: decoded query strings and ``YYYY-MM-DDThh:mm:ssZ`` timestamps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from gcsapply.emulator.errors import BadBody


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
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise BadBody(f"the body is not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise BadBody("the body must be a JSON object")
        return value

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


def parse_query_string(raw: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs of a raw query string, in order, blank values kept."""
    return parse_qsl(raw or "", keep_blank_values=True)


def iso(ts: float | None) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` as in the reference's examples ("" for no time)."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
