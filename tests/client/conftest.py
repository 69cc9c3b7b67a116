"""A tiny scripted HTTP server on loopback, for session tests that need exact failure modes."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field

import pytest

DROP = "drop"  # close the connection without answering


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class ScriptedServer:
    """Answers requests from ``script`` in order (the last entry repeats); records each request."""

    DROP = DROP
    url: str = ""
    script: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *entries):
        """Each entry: DROP, or (status, body[, headers]); body a dict/list (JSON), str or bytes."""
        with self.lock:
            self.script = list(entries)
            self.requests = []

    def next_entry(self):
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(server_state: ScriptedServer):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):  # quiet
            pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with server_state.lock:
                server_state.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
            entry = server_state.next_entry()
            if entry == DROP:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, payload, *rest = entry
            headers = rest[0] if rest else {}
            if isinstance(payload, (dict, list)):
                data = json.dumps(payload).encode()
                headers = {"Content-Type": "application/json", **headers}
            elif isinstance(payload, str):
                data = payload.encode()
            else:
                data = payload or b""
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


@pytest.fixture
def scripted_server():
    state = ScriptedServer()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    state.answer((200, {}))
    yield state
    httpd.shutdown()
    httpd.server_close()
