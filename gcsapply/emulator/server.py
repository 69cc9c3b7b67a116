"""The HTTP face: a ThreadingHTTPServer on loopback (port 0 by default) and the request pipeline

    route -> [control: guard (Host, Origin, Content-Type)]
          -> count -> [API: authenticate -> rate limit -> latency -> fault] -> handler

``EmulatorServer`` is what tests, ``endpoint: embedded`` and ``gcsapply emulator serve`` start.
It binds a loopback address unless built with ``allow_remote=True``.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gcsapply.emulator.auth import authenticate
from gcsapply.emulator.backend.state import Emulator, OffsetClock, Settings, valid_clock_offset
from gcsapply.emulator.credentials import EmulatorCredentials
from gcsapply.emulator.errors import (
    BodyTooLarge,
    EmulatorError,
    InjectedServerError,
    InjectedUnavailable,
    MalformedRequest,
    Throttled,
)
from gcsapply.emulator.faults import FAULT_429, FAULT_500, FAULT_503, FAULT_DROP, FAULT_SLOW_500, SLOW_500_DELAY_S
from gcsapply.emulator.guard import ControlGuard, is_loopback
from gcsapply.emulator.routes import API, CONTROL, IAM, Route, match_route
from gcsapply.emulator.store import Store
from gcsapply.emulator.wire import Request, Response, parse_query_string

log = logging.getLogger("gcsapply.emulator")
MAX_BODY_BYTES = 12 * 1024 * 1024
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class EmulatorServer:
    """A GCS emulator on ``host:port`` backed by the SQLite file ``db_path``.

    ``clock``: what the emulator reads (tests pass a ManualClock and call ``advance``); by
    default system time plus an offset that ``POST /_emulator/clock`` moves and the database
    keeps across restarts. ``host``: a loopback address (127.0.0.0/8, ::1, localhost) unless
    ``allow_remote`` -- the control API and the built-in credentials would face the network.
    Everything is checked before the database is opened.
    """

    def __init__(self, db_path, *, host: str = "127.0.0.1", port: int = 0, clock=None,
                 credentials: EmulatorCredentials | None = None, job_seconds: float = 5.0,
                 reads_per_minute: int = 0, writes_per_minute: int = 0, latency_ms: float = 0,
                 fault_rate: float = 0.0, fault_seed: int = 0, execution_names: str = "unique",
                 allow_remote: bool = False):
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"host {host!r} is not a loopback address; pass allow_remote=True "
                             "to serve the network")
        settings = Settings().updated({
            "job_seconds": job_seconds, "reads_per_minute": reads_per_minute,
            "writes_per_minute": writes_per_minute, "latency_ms": latency_ms,
            "fault_rate": fault_rate, "fault_seed": fault_seed, "execution_names": execution_names})
        self.db_path = Path(db_path)
        self.host = host
        self._requested_port = port
        self.credentials = credentials or EmulatorCredentials()
        self.store = Store(self.db_path)
        self.clock = clock if clock is not None else self._offset_clock()
        self.app = Emulator(self.store, self.clock, self.credentials, settings)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "EmulatorServer":
        if self._httpd is not None:
            return self
        self._httpd = _Server((self.host, self._requested_port), _Handler)
        self._httpd.app = self.app
        self._httpd.guard = ControlGuard.for_address(self.host, self._httpd.server_address[0],
                                                     self.port)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"gcs-emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            self.store.close()
            return
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None
        self.store.close()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd else self._requested_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- the control API, in-process ------------------------------------------------------------
    def stats(self) -> dict:
        return self.app.stats()

    def reset_stats(self) -> None:
        self.app.reset_stats()

    def reset(self) -> None:
        self.app.reset()

    def configure(self, **changes) -> Settings:
        """Change settings at run time (the same as ``PUT /_emulator/faults``)."""
        return self.app.configure(changes)

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def _offset_clock(self) -> OffsetClock:
        """The stored offset, unless it is one this emulator would never store (then 0)."""
        stored = self.store.get_meta("clock_offset", "0")
        offset = valid_clock_offset(stored)
        if offset is None:
            log.warning("ignoring the stored clock offset %.40r: the clock starts at system time",
                        stored)
            self.store.set_meta("clock_offset", "0.0")
        return OffsetClock(offset or 0.0,
                           persist=lambda new: self.store.set_meta("clock_offset", repr(new)))


def serve_request(app: Emulator, route: Route, req: Request, guard: ControlGuard) -> Response:
    """Everything between routing and the handler."""
    if route.kind == CONTROL:
        guard.check(req)
        return route.handler(app, req)
    app.count(route.key)
    if route.kind == IAM:
        return route.handler(app, req)
    assert route.kind == API
    req.project_id, req.principal = authenticate(app, req)
    settings = app.settings
    is_write = req.method != "GET"
    limit = settings.writes_per_minute if is_write else settings.reads_per_minute
    wait = app.limiter.admit((req.principal, "write" if is_write else "read"), limit, app.clock.now())
    if wait is not None:
        raise Throttled(f"more than {limit} {'writes' if is_write else 'reads'} per minute",
                        headers={"Retry-After": str(int(wait))})
    if settings.latency_ms:
        time.sleep(settings.latency_ms / 1000)
    fault = app.faults.draw(is_write)
    if fault == FAULT_500:
        raise InjectedServerError("injected fault")
    if fault == FAULT_503:
        raise InjectedUnavailable("injected fault")
    if fault == FAULT_429:
        raise Throttled("injected fault", headers={"Retry-After": "1"})
    if fault == FAULT_SLOW_500:
        time.sleep(SLOW_500_DELAY_S)
        raise InjectedServerError("injected fault after a delay")
    app.ensure_tenant(req.project_id)
    if fault != FAULT_DROP:
        return route.handler(app, req)
    try:
        route.handler(app, req)  # carried out and committed; the answer is lost
    except EmulatorError:
        pass
    return Response(0, drop_after=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: Emulator
    guard: ControlGuard

    def __init__(self, address, *args, **kwargs):
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, *args, **kwargs)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        """A client that vanished mid-request: note it in the debug log, no traceback on stderr."""
        log.debug("connection from %s ended abruptly", client_address[0], exc_info=True)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gcs-emulator"
    sys_version = ""
    server: _Server

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle stalls

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler API
        log.debug("%s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        request_id = uuid.uuid4().hex
        try:
            req = self._read_request()
            route, req.params = match_route(req.method, req.path)
            response = serve_request(self.server.app, route, req, self.server.guard)
        except EmulatorError as exc:
            response = Response.json(exc.status, exc.body(request_id), headers=exc.headers)
        except Exception as exc:  # a bug: answer like the service would, log the traceback
            log.exception("emulator error on %s %s", self.command, self.path)
            response = Response.json(500, {"error_code": "GCS.5000001",
                                           "error_msg": f"Internal server error: {exc}",
                                           "request_id": request_id})
        if response.drop_after:
            self._drop()
            return
        self._send(response, request_id)

    def _read_request(self) -> Request:
        raw_path, _, raw_query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = self._read_body(headers)
        return Request(self.command, raw_path, parse_query_string(raw_query), headers, body,
                       raw_query=raw_query)

    def _read_body(self, headers: dict) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024).split(b";")[0].strip()
                if not _HEX.fullmatch(line):
                    self.close_connection = True
                    raise MalformedRequest(f"chunk size {line[:16]!r} is not hexadecimal")
                size = int(line, 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    self.close_connection = True
                    raise BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = headers.get("content-length", "0") or "0"
        if not length.isdigit():
            self.close_connection = True
            raise MalformedRequest(f"Content-Length {length!r}")
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            raise BodyTooLarge()
        return self.rfile.read(int(length)) if int(length) else b""

    def _send(self, response: Response, request_id: str) -> None:
        self.send_response(response.status)
        if response.content_type and response.status != 204:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body) if response.status != 204 else 0))
        self.send_header("X-Request-Id", request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.status != 204 and self.command != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
