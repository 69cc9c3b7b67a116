"""The SDK is a thin ``requests`` client, as the seed's is: one request per call (no retries, no
rate limits), ``requests``' own exceptions at once, and a 3xx returned as it came, never followed.

The scripted server answers with fixed statuses and records every request it gets: had the
client retried or followed a redirect, a second request would show.
"""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
import requests

from gcsapply.clock import ManualClock
from gcsapply.sdk import CromwellClient, GCSClient

PASSWORD = "SENTINEL-PASSWORD-sdk-0001"


class _Script:
    """Answers every request with ``status``, ``body`` and ``headers``; keeps ``(method, path)``."""

    def __init__(self):
        self.status, self.body, self.headers = 200, b"{}", {}
        self.seen: list[tuple[str, str]] = []
        self.url = ""


@pytest.fixture
def scripted():
    script = _Script()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            script.seen.append((self.command, self.path.split("?")[0]))
            self.send_response(script.status)
            for name, value in {**script.headers, "Content-Length": str(len(script.body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(script.body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield script
    server.shutdown()
    server.server_close()


def _client(endpoint, cls=GCSClient):
    client = cls(endpoint=endpoint, clock=ManualClock())
    client.set_aksk_auth_param("AKSDK0000000000000000", "sk-sdk-secret-value-0001", "p" * 32)
    return client


def test_a_malformed_endpoint_raises_missing_schema_after_one_attempt():
    client = _client("gcs.example.test")
    with pytest.raises(requests.exceptions.MissingSchema):
        client.get_workflows()
    assert dict(client._session.calls) == {"GET /v1/workflows": 1}


def test_an_unreachable_endpoint_raises_connection_error_after_one_attempt_even_for_a_read():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(f"http://127.0.0.1:{port}", CromwellClient)
    with pytest.raises(requests.ConnectionError):
        client.get_execution("run-1")
    assert sum(client._session.calls.values()) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_a_throttled_or_failing_read_raises_http_error_at_once(scripted, status):
    scripted.status, scripted.body = status, b'{"error_code": "APIGW.0308", "error_msg": "busy"}'
    with pytest.raises(requests.HTTPError) as caught:
        _client(scripted.url).get_environment("env-1")
    assert caught.value.response.status_code == status
    assert scripted.seen == [("GET", "/v1/environments/env-1")]


def test_a_redirect_is_returned_as_it_came_and_never_followed(scripted, tmp_path):
    elsewhere = scripted.url.replace("127.0.0.1", "localhost") + "/collect"
    scripted.status, scripted.body, scripted.headers = 302, b"", {"Location": elsewhere}
    client = _client(scripted.url)
    one = client.get_workflow("wf-1")
    listed = client.get_workflows()
    (tmp_path / "w.yaml").write_text("version: genecontainer_0_1\n")
    created = client.create_workflow("wf", "lab", "", str(tmp_path / "w.yaml"))
    assert [(r.status_code, r.headers["Location"]) for r in (one, listed, created)] == [(302, elsewhere)] * 3
    assert scripted.seen == [("GET", "/v1/workflows/wf-1"), ("GET", "/v1/workflows"), ("POST", "/v1/workflows")]


def test_an_iam_redirect_raises_http_error_and_the_password_goes_nowhere_else(scripted):
    scripted.status, scripted.body = 307, b""
    scripted.headers = {"Location": scripted.url.replace("127.0.0.1", "localhost") + "/collect"}
    client = GCSClient(endpoint=scripted.url, clock=ManualClock())
    client.set_user_auth_param("alice", PASSWORD, "p1")
    with pytest.raises(requests.HTTPError) as caught:
        client.get_workflows()
    assert caught.value.response.status_code == 307
    assert str(caught.value) == (f"IAM answered with a redirect; a password never follows one "
                                 f"(HTTP 307 from {scripted.url}/v3/auth/tokens)")
    assert scripted.seen == [("POST", "/v3/auth/tokens")]


def test_an_iam_answer_without_a_token_raises_http_error_not_a_success(scripted):
    scripted.status, scripted.body = 201, b'{"token": {}}'
    client = GCSClient(endpoint=scripted.url, clock=ManualClock())
    client.set_user_auth_param("alice", PASSWORD, "p1")
    with pytest.raises(requests.HTTPError) as caught:
        client.get_environments()
    assert caught.value.response.status_code == 201
    assert str(caught.value) == (f"IAM answered without an X-Subject-Token header "
                                 f"(HTTP 201 from {scripted.url}/v3/auth/tokens)")
