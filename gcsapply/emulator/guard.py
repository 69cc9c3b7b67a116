"""Who may use the control API (``/_emulator/*``), which has no authentication.

A served emulator binds loopback unless told otherwise (``--allow-remote``), but loopback alone
does not keep a browser out: a page on a name that resolves to 127.0.0.1 (DNS rebinding) sends
``Host: that.name``, and a cross-site page sends ``Origin: its own origin`` -- with a "simple"
``text/plain`` POST that needs no CORS preflight. So a control request must name this emulator's
own address in ``Host``, carry no foreign ``Origin``, and send its body as ``application/json``
(which a browser sends cross-origin only after a preflight the emulator never answers).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from gcsapply.emulator.errors import ControlForbidden, ControlNotJson
from gcsapply.emulator.wire import Request

LOCALHOST = "localhost"
WILDCARDS = frozenset({"", "0.0.0.0", "::"})  # every interface
JSON_MEDIA_TYPE = "application/json"
_PORT = re.compile(r"[0-9]{1,5}")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name ``localhost`` (nothing is resolved: another name that happens
    to point at loopback is not loopback here)."""
    if host.lower() == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ControlGuard:
    """The addresses a control request may name, in ``Host`` and in ``Origin``.

    Bound to loopback: ``127.0.0.1``, ``localhost``, ``[::1]`` and the bound address, at the
    bound port. Bound to an address: that address (as given, and as bound). Bound to every
    interface (``0.0.0.0``, ``::``): ``localhost`` and any IP address -- never another name, which
    is what DNS rebinding needs.
    """

    hosts: frozenset[str]
    port: int
    any_ip_address: bool = False

    @classmethod
    def for_address(cls, host: str, bound_ip: str, port: int) -> "ControlGuard":
        given, bound = _normal_host(host), _normal_host(bound_ip)
        if given in WILDCARDS:
            return cls(frozenset({LOCALHOST}), port, any_ip_address=True)
        if is_loopback(host) or is_loopback(bound_ip):
            return cls(frozenset({given, bound, "127.0.0.1", LOCALHOST, "::1"}), port)
        return cls(frozenset({given, bound}), port)

    def check(self, req: Request) -> None:
        """ControlForbidden for a foreign Host or Origin, ControlNotJson for a POST or PUT whose
        body is not declared ``application/json``."""
        host = req.header("host")
        if host is None or not self.accepts(host):
            raise ControlForbidden(f"Host {_quote(host)} is not this emulator's address; "
                                   f"use {self.example()}")
        origin = req.header("origin")
        if origin is not None and not (origin.startswith("http://") and self.accepts(origin[7:])):
            raise ControlForbidden(f"Origin {_quote(origin)} is not this emulator's own "
                                   f"(http://{self.example()})")
        if req.method in ("POST", "PUT", "PATCH"):
            media_type = (req.header("content-type") or "").split(";")[0].strip().lower()
            if media_type != JSON_MEDIA_TYPE:
                raise ControlNotJson(f"Content-Type {_quote(req.header('content-type'))}; send a "
                                     f"JSON object as {JSON_MEDIA_TYPE} (an empty one is {{}})")

    def accepts(self, authority: str) -> bool:
        """Whether ``host[:port]`` (no port: 80) names this emulator."""
        parsed = _split_authority(authority)
        if parsed is None or parsed[1] != self.port:
            return False
        return parsed[0] in self.hosts or (self.any_ip_address and _is_ip(parsed[0]))

    def example(self) -> str:
        host = "127.0.0.1" if "127.0.0.1" in self.hosts or self.any_ip_address else sorted(self.hosts)[0]
        return f"{f'[{host}]' if ':' in host else host}:{self.port}"


def _split_authority(text: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``; None if malformed."""
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or not _is_ip(host) or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else "80"
    else:
        host, colon, port = text.rpartition(":")
        if not colon:
            host, port = text, "80"
        if ":" in host:
            return None
    if not _PORT.fullmatch(port):
        return None
    return _normal_host(host), int(port)


def _normal_host(host: str) -> str:
    """An IP address in its canonical form, a name in lower case."""
    host = host.strip("[]").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _quote(value: str | None) -> str:
    return "(none)" if value is None else repr(value[:100])
