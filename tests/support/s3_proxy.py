"""A loopback HTTP proxy in front of an S3-protocol server, for the faults a healthy server does
not make: a store that ignores conditional headers, one that denies every request, an answer lost
on the way back after the write happened, a connection dropped before anything was sent on.

moto checks a write's condition and then stores it without a lock, so two racing conditional
writes can both pass; ``serialize=True`` forwards one request at a time, which makes every
conditional write atomic, as on a real store (the races between requests remain).

Every request is recorded (method, path, headers) in :attr:`S3Proxy.seen`. The modes are plain
attributes, so a test may switch them between commands::

    with S3Proxy(s3_url) as proxy:
        proxy.strip_conditions = {"PUT", "DELETE"}
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

CONDITIONS = ("If-Match", "If-None-Match")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer",
               "upgrade", "proxy-connection"}
ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                 b"<Message>Access Denied</Message><RequestId>proxy</RequestId></Error>")


class S3Proxy:
    """Forward to ``upstream`` (``http://host:port``), with the faults its attributes ask for.

    * ``strip_conditions``: methods whose ``If-Match``/``If-None-Match`` headers (or only those
      named in ``stripped``) are removed;
    * ``deny``: answer every request 403 AccessDenied (S3's XML) without forwarding it;
    * ``drop_answer_of``: a path (``/bucket/key``) whose first PUT is forwarded, and then the
      connection closed without an answer (the write happened; the client never hears);
    * ``drop_request``: a predicate ``(method, path) -> bool``; a matching request is not
      forwarded and its connection closed (the write never happened);
    * ``serialize``: forward one request at a time.
    """

    def __init__(self, upstream: str, *, serialize: bool = False):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.serialize = serialize
        self.strip_conditions: set[str] = set()
        self.stripped: tuple[str, ...] = CONDITIONS
        self.deny = False
        self.drop_answer_of: str | None = None
        self.drop_request = None
        self.seen: list[tuple[str, str, dict]] = []
        self.dropped = 0
        self._lock = threading.Lock()
        self._forwarding = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def requests(self, method: str | None = None, path: str | None = None) -> list[tuple[str, str, dict]]:
        """The requests seen, optionally only those of one method and path (query left out)."""
        with self._lock:
            return [r for r in self.seen if (method is None or r[0] == method)
                    and (path is None or r[1].split("?")[0] == path)]

    def start(self) -> S3Proxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="s3-proxy",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> S3Proxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- used by the handler -------------------------------------------------------------------

    def _record(self, method: str, path: str, headers: dict) -> None:
        with self._lock:
            self.seen.append((method, path, headers))

    def _take_drop_answer(self, method: str, path: str) -> bool:
        with self._lock:
            if method == "PUT" and self.drop_answer_of is not None \
                    and path.split("?")[0] == self.drop_answer_of:
                self.drop_answer_of = None
                self.dropped += 1
                return True
            return False

    def _send(self, method: str, path: str, headers: dict, body: bytes):
        host, port = self.upstream
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()


def _handler(proxy: S3Proxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def do_GET(self):  # noqa: N802 - http.server's names
            self._forward()

        do_PUT = do_DELETE = do_HEAD = do_POST = do_GET  # noqa: N815

        def log_message(self, *args) -> None:
            pass

        def _forward(self) -> None:
            method, path = self.command, self.path
            headers = {name: value for name, value in self.headers.items()}
            body = self._body()
            proxy._record(method, path, dict(headers))
            if proxy.deny:
                return self._answer(403, [("Content-Type", "application/xml")], ACCESS_DENIED)
            if proxy.drop_request is not None and proxy.drop_request(method, path.split("?")[0]):
                self.close_connection = True
                return None
            if method in proxy.strip_conditions:
                headers = {k: v for k, v in headers.items() if k.title() not in proxy.stripped}
            headers = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            headers["Host"] = "%s:%d" % proxy.upstream
            drop = proxy._take_drop_answer(method, path)
            if proxy.serialize:
                with proxy._forwarding:
                    status, answer_headers, answer = proxy._send(method, path, headers, body)
            else:
                status, answer_headers, answer = proxy._send(method, path, headers, body)
            if drop:
                self.close_connection = True  # the write happened; its answer is lost
                return None
            return self._answer(status, answer_headers, answer)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _answer(self, status: int, headers, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler
