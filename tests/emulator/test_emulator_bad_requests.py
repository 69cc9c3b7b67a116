"""Nasty requests get Huawei-shaped 4xx answers, never a 500 or a traceback."""

from __future__ import annotations

import socket
import struct

import pytest

from emulator_helpers import SIMPLE, assert_error


@pytest.fixture
def workflow(gcs):
    return gcs.workflow("hello", SIMPLE)


@pytest.mark.parametrize("path", ["/v1/executions", "/v1/workflows", "/v1/tools",
                                  "/v1/environments", "/v1/cromwell/executions"])
def test_an_offset_beyond_64_bits_is_a_paging_error_on_every_list(gcs, path):
    for params in ({"offset": "9" * 30, "limit": "10"}, {"offset": "9" * 30}):
        assert_error(gcs.get(path, params=params), 400, "GCS.4003007")
    assert gcs.get(path, params={"offset": str(2**63 - 1), "limit": "10"}).status_code == 200


@pytest.mark.parametrize("field,value", [("timeout", "²"), ("priority", "٣"), ("timeout", "1²")])
def test_integers_written_with_non_ascii_digits_are_refused(gcs, workflow, field, value):
    response = gcs.post("/v1/executions", json={"name": "run-1", "workflow_id": workflow,
                                                "sfs_pvc_name": "s", field: value})
    assert_error(response, 400, "GCS.4003109")


def test_a_job_retry_count_with_non_ascii_digits_is_refused(gcs, workflow):
    response = gcs.post("/v1/executions", json={
        "name": "run-1", "workflow_id": workflow, "sfs_pvc_name": "s",
        "advanced_options": {"job_retry_count": "²"}})
    assert_error(response, 400, "GCS.4003109")


def _raw_exchange(emulator, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_chunked_body_with_a_bad_chunk_size_is_a_malformed_request(emulator):
    answer = _raw_exchange(emulator, b"POST /v1/executions HTTP/1.1\r\nHost: x\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer


def test_a_client_resetting_its_connection_prints_no_traceback(emulator, gcs, capfd):
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
        sock.sendall(b"GET /v1/tools HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(10)  # the answer has started; the rest stays unread
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST, while the server waits for the next request on this connection
    assert gcs.get("/v1/tools").status_code == 200  # the server still serves
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "ConnectionResetError" not in captured.err
