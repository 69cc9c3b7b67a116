"""Nasty requests get Huawei-shaped 4xx answers, never a 500 or a traceback; concurrent
writes keep the uniqueness rules."""

from __future__ import annotations

import socket
import struct
from concurrent.futures import ThreadPoolExecutor

import pytest
from emulator_helpers import SIMPLE, Gcs, assert_error

from gcsapply.emulator import EMBEDDED_PROJECT_ID


@pytest.fixture
def workflow(gcs):
    return gcs.workflow("hello", SIMPLE)


@pytest.mark.parametrize("path", ["/v1/executions", "/v1/workflows", "/v1/tools",
                                  "/v1/environments", f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend"])
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


def test_a_body_over_12_mb_gets_413_and_one_of_12_mb_is_read(gcs):
    limit = 12 * 1024 * 1024
    too_big = gcs.post("/v1/tools", data=b" " * (limit + 1), headers={"Content-Type": "application/json"})
    assert_error(too_big, 413, "APIGW.0201")
    at_limit = gcs.post("/v1/tools", data=b'{"name": "big"}'.ljust(limit),
                        headers={"Content-Type": "application/json"})
    assert at_limit.status_code == 201, at_limit.text


def test_concurrent_creates_of_one_name_make_exactly_one_resource(emulator, workflow):
    def attempt(path: str, **kwargs) -> int:
        return Gcs(emulator).post(path, **kwargs).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(lambda _: attempt("/v1/executions", json={
            "name": "same-run", "workflow_id": workflow, "sfs_pvc_name": "s"}), range(16)))
        flows = list(pool.map(lambda _: Gcs(emulator).upload("same-flow", SIMPLE).status_code,
                              range(16)))
        others = list(pool.map(lambda i: attempt("/v1/executions", json={
            "name": f"run-{i}", "workflow_id": workflow, "sfs_pvc_name": "s"}), range(16)))
    assert sorted(runs) == [201] + [409] * 15
    assert sorted(flows) == [201] + [409] * 15
    assert others == [201] * 16
    listed = Gcs(emulator).get("/v1/executions").json()
    assert listed["total_num"] == 17 and len({e["execution"]["guid"] for e in listed["executions"]}) == 17
