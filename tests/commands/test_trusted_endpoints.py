"""Secrets go only to trusted hosts (DESIGN §7b), through the real CLI.

A pull request can change ``spec.endpoint``; ``plan`` then runs with the team's credentials in
the environment. A password, an IAM token or a security token must never reach a host the
operator did not trust, and not one byte may leave before that is decided: an untrusted
"endpoint" here is a loopback listener that records every connection and every byte.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from gcsapply import cli
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.emulator.credentials import EMBEDDED_DOMAIN, EMBEDDED_USER, EmulatorCredentials

SENTINEL_PASSWORD = "SENTINEL-PASSWORD-never-print-me-0001"
SENTINEL_TOKEN = "SENTINEL-SECURITY-TOKEN-never-send-0001"
CREDENTIAL_VARIABLES = ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
                        "HW_SECURITY_TOKEN", "HW_USER_NAME", "HW_USER_PASSWORD", "HW_DOMAIN_NAME",
                        "HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID", "HW_REGION_NAME",
                        "GCSAPPLY_TRUSTED_ENDPOINTS")
STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: prstack}}
spec:
  endpoint: {endpoint}
"""
WORKFLOW = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: hello}
spec: {template: templates/hello.yaml}
"""
TEMPLATE = """\
version: genecontainer_0_1
workflow:
  hello:
    type: GCS.Job
    tool: bwa:0.7.12
    commands:
      - echo hello
"""


class Listener:
    """An untrusted host: a TCP listener on loopback that records every connection and byte.

    It answers each request with a 503 and closes, so a client that did leak fails fast.
    :meth:`finish` proves what came without sleeping: it queues a probe connection of its own;
    connections are accepted in order, so when the probe is reached every earlier one has been
    recorded."""

    PROBE = b"\x00probe\x00"

    def __init__(self):
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self.received = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def finish(self) -> tuple[int, bytes]:
        """``(connections, bytes received)`` before this call; stops the listener."""
        if self._thread.is_alive():
            with socket.create_connection(self._socket.getsockname()) as probe:
                probe.sendall(self.PROBE)
                probe.shutdown(socket.SHUT_WR)
            self._thread.join(timeout=30)  # a safety net only: the probe is already queued
            assert not self._thread.is_alive()
            self._socket.close()
        return self.connections, self.received

    def _serve(self) -> None:
        while True:
            connection, _ = self._socket.accept()
            with connection:
                data = _read_request(connection)
                if data == self.PROBE:
                    return
                self.connections += 1
                self.received += data
                connection.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                   b"Connection: close\r\n\r\n")


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
        head, end, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if end and len(body) >= (int(length[1]) if length else 0):
            break
    return data


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.finish()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def token_env(monkeypatch):
    """Token authentication as a CI runner would have it, with the emulator's user name."""
    monkeypatch.setenv("HW_USER_NAME", EMBEDDED_USER)
    monkeypatch.setenv("HW_USER_PASSWORD", SENTINEL_PASSWORD)
    monkeypatch.setenv("HW_DOMAIN_NAME", EMBEDDED_DOMAIN)
    monkeypatch.setenv("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)


@pytest.fixture
def served(tmp_path):
    """A served emulator whose IAM user has the sentinel password, on a clock started now (the
    CLI signs and caches tokens with the system clock)."""
    credentials = EmulatorCredentials(password=SENTINEL_PASSWORD)
    server = EmulatorServer(tmp_path / "served.sqlite", clock=ManualClock(start=time.time()),
                            credentials=credentials).start()
    yield server
    server.stop()


def _stack(tmp_path: Path, endpoint: str) -> Path:
    root = tmp_path / "pr"
    (root / "templates").mkdir(parents=True)
    (root / "stack.yaml").write_text(STACK.format(endpoint=endpoint))
    (root / "hello.yaml").write_text(WORKFLOW)
    (root / "templates" / "hello.yaml").write_text(TEMPLATE)
    return root


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _refusal(secret: str, host: str, url: str) -> str:
    return (f"error: stack.yaml:5:13: spec.endpoint: will not send {secret} to {host}: "
            "not a Huawei Cloud domain, and not listed in GCSAPPLY_TRUSTED_ENDPOINTS\n"
            "  hint: a manifest cannot make a host trusted: if this endpoint is yours, list it in "
            f"the environment (GCSAPPLY_TRUSTED_ENDPOINTS={url}), or sign with HW_ACCESS_KEY/"
            "HW_SECRET_KEY and no HW_SECURITY_TOKEN (a signature is bound to its host)\n")


@pytest.mark.parametrize("command", [("plan", "{root}"), ("apply", "--auto-approve", "{root}"),
                                     ("status", "{root}"), ("destroy", "--auto-approve", "{root}"),
                                     ("outputs", "{root}", "execution/x")],
                         ids=lambda command: command[0])
def test_no_command_sends_a_byte_to_an_endpoint_the_operator_has_not_trusted(
        tmp_path, capsys, listener, token_env, command):
    root = _stack(tmp_path, listener.url)
    code, out, err = _run(capsys, *(arg.format(root=root) for arg in command))
    assert listener.finish() == (0, b"")
    host = listener.url.removeprefix("http://")
    assert (code, out, err) == (1, "", _refusal("HW_USER_PASSWORD and the IAM token", host,
                                                listener.url))
    assert sorted(p.name for p in root.iterdir()) == ["hello.yaml", "stack.yaml", "templates"]


def test_a_security_token_is_not_sent_to_an_untrusted_endpoint_either(
        tmp_path, capsys, listener, monkeypatch):
    monkeypatch.setenv("HW_ACCESS_KEY", EMBEDDED_AK)
    monkeypatch.setenv("HW_SECRET_KEY", EMBEDDED_SK)
    monkeypatch.setenv("HW_SECURITY_TOKEN", SENTINEL_TOKEN)
    monkeypatch.setenv("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)
    root = _stack(tmp_path, listener.url)
    code, out, err = _run(capsys, "plan", root)
    assert listener.finish() == (0, b"")
    host = listener.url.removeprefix("http://")
    assert (code, out, err) == (1, "", _refusal("HW_SECURITY_TOKEN", host, listener.url))


def test_trusting_another_port_or_only_https_on_the_host_does_not_trust_the_endpoint(
        tmp_path, capsys, listener, token_env, monkeypatch):
    port = int(listener.url.rsplit(":", 1)[1])
    monkeypatch.setenv("GCSAPPLY_TRUSTED_ENDPOINTS",
                       f"http://127.0.0.1:{port + 1}, https://127.0.0.1:{port}, 127.0.0.1")
    code, out, err = _run(capsys, "plan", _stack(tmp_path, listener.url))
    assert code == 1
    assert "not listed in GCSAPPLY_TRUSTED_ENDPOINTS" in err
    assert listener.finish() == (0, b"")


def test_a_password_and_its_token_go_to_an_endpoint_the_operator_lists(
        tmp_path, capsys, served, token_env, monkeypatch):
    root = _stack(tmp_path, served.url)
    code, out, err = _run(capsys, "plan", root)
    assert code == 1
    assert "not listed in GCSAPPLY_TRUSTED_ENDPOINTS" in err
    assert served.stats() == {}

    monkeypatch.setenv("GCSAPPLY_TRUSTED_ENDPOINTS", f"https://gcs.example.org, {served.url}")
    code, out, err = _run(capsys, "plan", root)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"Target: {served.url}, project {EMBEDDED_PROJECT_ID}, stack prstack (IAM token from "
        "HW_USER_NAME/HW_USER_PASSWORD/HW_DOMAIN_NAME)")
    assert "# workflow/hello will be created" in out
    assert out.endswith("Plan: 1 to create, 0 to update, 0 to replace, 0 to retry, 0 to cancel, "
                        "0 to delete, 0 to forget.\n")
    assert served.stats()["POST /v3/auth/tokens"] == 1
    assert SENTINEL_PASSWORD not in out


def test_debug_logs_of_a_trusted_token_plan_never_show_the_password(
        tmp_path, capsys, caplog, served, token_env, monkeypatch):
    # in-process, --debug's basicConfig finds pytest's handlers installed: read them via caplog
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GCSAPPLY_TRUSTED_ENDPOINTS", served.url)
    code, out, err = _run(capsys, "plan", "--debug", _stack(tmp_path, served.url))
    assert code == 0
    assert "'X-Auth-Token': '<redacted>'" in caplog.text  # the debug log was read
    assert SENTINEL_PASSWORD not in out + err + caplog.text


def test_plain_ak_sk_signs_for_any_endpoint_without_being_trusted(tmp_path, capsys, served,
                                                                 monkeypatch):
    monkeypatch.setenv("HW_ACCESS_KEY", EMBEDDED_AK)
    monkeypatch.setenv("HW_SECRET_KEY", EMBEDDED_SK)
    monkeypatch.setenv("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)
    code, out, err = _run(capsys, "plan", _stack(tmp_path, served.url))
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"Target: {served.url}, project {EMBEDDED_PROJECT_ID}, stack prstack (AK/SK from "
        "HW_ACCESS_KEY/HW_SECRET_KEY)")


def test_a_manifest_cannot_declare_its_own_trusted_endpoints(tmp_path, capsys, listener,
                                                             token_env):
    root = _stack(tmp_path, listener.url)
    stack = root / "stack.yaml"
    stack.write_text(stack.read_text() + f"  trustedEndpoints: [{listener.url}]\n")
    code, out, err = _run(capsys, "plan", root)
    assert code == 1
    assert "trustedEndpoints" in err
    assert listener.finish() == (0, b"")


def test_validate_refuses_an_endpoint_with_user_info_at_its_line(tmp_path, capsys):
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "stack.yaml").write_text("apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: s}\n"
                                      "spec:\n  endpoint: https://gcs.cn-north-4.myhuaweicloud.com@evil.example\n")
    assert cli.main(["validate", str(stack)]) == 1
    err = capsys.readouterr().err
    assert "stack.yaml:5:13: error: 'endpoint' must be 'embedded', 'region' or an https:// URL without user info" in err
