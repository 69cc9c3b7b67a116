"""Rate limits, seeded faults, the drop-after-commit hazard, and the /_emulator control API."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import SIMPLE, assert_error

from gcsapply.emulator.faults import FAULT_DROP, FaultInjector

JSON = {"Content-Type": "application/json"}


def test_reads_beyond_the_limit_get_429_apigw_0308_with_retry_after(emulator, gcs):
    emulator.configure(reads_per_minute=3)
    assert [gcs.get("/v1/tools").status_code for _ in range(3)] == [200, 200, 200]
    response = gcs.get("/v1/tools")
    assert_error(response, 429, "APIGW.0308")
    assert response.headers["Retry-After"] == "60"
    assert gcs.post("/v1/tools", json={"name": "t"}).status_code == 201  # writes count apart
    emulator.clock.advance(30)
    assert gcs.get("/v1/tools").headers["Retry-After"] == "30"
    emulator.clock.advance(30)
    assert gcs.get("/v1/tools").status_code == 200


def test_writes_have_their_own_window_and_zero_disables(emulator, gcs):
    emulator.configure(writes_per_minute=1)
    assert gcs.post("/v1/tools", json={"name": "a"}).status_code == 201
    assert_error(gcs.post("/v1/tools", json={"name": "b"}), 429, "APIGW.0308")
    emulator.configure(writes_per_minute=0)
    assert gcs.post("/v1/tools", json={"name": "b"}).status_code == 201


def _statuses(gcs, count: int) -> list[int]:
    return [gcs.get("/v1/environments").status_code for _ in range(count)]


def test_faults_are_seeded_and_reproducible(emulator, gcs):
    emulator.configure(fault_rate=0.5, fault_seed=11)
    first = _statuses(gcs, 24)
    emulator.configure(fault_seed=11)
    assert _statuses(gcs, 24) == first
    assert {200, 500, 503, 429} <= set(first)
    emulator.configure(fault_seed=12)
    assert _statuses(gcs, 24) != first


def test_fault_errors_have_huawei_bodies(emulator, gcs):
    emulator.configure(fault_rate=1.0, fault_seed=0)
    for response in (gcs.get("/v1/tools") for _ in range(8)):
        body = response.json()
        assert body["error_code"] in ("GCS.5000001", "GCS.5030001", "APIGW.0308")
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "1"


def _seed_dropping_two_writes() -> int:
    return next(seed for seed in range(1000)
                if [FaultInjector(1.0, seed).draw(True) for _ in range(1)] == [FAULT_DROP]
                and _two_drops(seed))


def _two_drops(seed: int) -> bool:
    injector = FaultInjector(1.0, seed)
    return injector.draw(True) == FAULT_DROP and injector.draw(True) == FAULT_DROP


@pytest.mark.parametrize("names,expected_runs", [("any", 2), ("unique", 1)])
def test_a_blind_resend_after_a_dropped_create_duplicates_the_run_when_names_may_repeat(
        emulator, gcs, names, expected_runs):
    workflow = gcs.workflow("hello", SIMPLE)
    emulator.configure(execution_names=names, fault_rate=1.0, fault_seed=_seed_dropping_two_writes())
    body = {"name": "na12878", "workflow_id": workflow, "sfs_pvc_name": "s"}
    for _ in range(2):  # a naive client: the connection dropped, so it sends the create again
        with pytest.raises(requests.ConnectionError):
            gcs.post("/v1/executions", json=body)
    emulator.configure(fault_rate=0.0)
    listed = gcs.get("/v1/executions", params={"name": "na12878"}).json()
    assert listed["total_num"] == expected_runs
    assert {e["execution"]["name"] for e in listed["executions"]} == {"na12878"}


def test_stats_count_calls_by_method_and_route_template(emulator, gcs):
    gcs.get("/v1/executions")
    gcs.get("/v1/executions/abc")
    gcs.get("/v1/executions/def")
    assert emulator.stats() == {"GET /v1/executions": 1, "GET /v1/executions/{execution_id}": 2}
    assert requests.get(emulator.url + "/_emulator/stats", timeout=10).json() == emulator.stats()
    assert requests.delete(emulator.url + "/_emulator/stats", timeout=10).status_code == 204
    assert emulator.stats() == {}


def test_the_control_api_moves_the_clock_resets_and_takes_settings(emulator, gcs):
    run = gcs.launch(gcs.workflow("hello", SIMPLE), "run-1")
    before = emulator.clock.now()
    moved = requests.post(emulator.url + "/_emulator/clock", json={"advance_s": 30}, timeout=10)
    assert moved.json()["now"] == before + 30
    assert gcs.execution(run)["execution"]["status"] == "Succeeded"
    settings = requests.put(emulator.url + "/_emulator/faults", timeout=10, json={
        "latency_ms": 1, "reads_per_minute": 600, "writes_per_minute": 300, "job_seconds": 2})
    assert settings.json()["reads_per_minute"] == 600
    assert_error(requests.put(emulator.url + "/_emulator/faults", json={"fault_rat": 1},
                              timeout=10), 400, "GCS.4003109")
    assert_error(requests.put(emulator.url + "/_emulator/faults", json={"fault_rate": 2},
                              timeout=10), 400, "GCS.4003109")
    assert requests.post(emulator.url + "/_emulator/reset", json={}, timeout=10).status_code == 200
    assert gcs.get("/v1/executions").json()["total_num"] == 0
    assert emulator.settings.reads_per_minute == 0  # back to the settings given at start


def test_seed_bulk_loads_runs_with_the_statuses_asked_for(emulator, gcs):
    response = requests.post(emulator.url + "/_emulator/seed", timeout=60, json={
        "workflows": [{"name": "germline", "template": SIMPLE}],
        "executions": [
            {"count": 1500, "workflow": "germline", "name_prefix": "done-", "status": "Succeeded",
             "labels": {"gcsapply-stack": "bench"}},
            {"count": 10, "workflow": "germline", "name_prefix": "bad-", "status": "Failed"},
            {"count": 5, "workflow": "germline", "name_prefix": "live-", "status": "Running"},
            {"count": 3, "workflow": "germline", "name_prefix": "stop-", "status": "Cancelled"}]})
    assert response.status_code == 201, response.text
    assert response.json()["executions"] == 1518
    assert gcs.get("/v1/executions", params={"offset": "0", "limit": "1"}).json()["total_num"] == 1518
    for status, count in (("Succeeded", 1500), ("Failed", 10), ("Running", 5), ("Cancelled", 3)):
        assert gcs.get("/v1/executions", params={"status": status}).json()["total_num"] == count
    page = gcs.get("/v1/executions", params={"name": "done-", "offset": "0", "limit": "100"}).json()
    assert len(page["executions"]) == 100
    assert page["executions"][0]["execution"]["label"] == {"gcsapply-stack": "bench"}
    failed = gcs.get("/v1/executions", params={"status": "Failed"}).json()["executions"][0]
    assert failed["status"]["actual_node_status"]["hello"]["status"] == "Failed"


def test_an_unknown_route_answers_with_an_error_naming_it(emulator, gcs):
    body = assert_error(gcs.get("/v2/executions"), 404, "APIGW.0101")
    assert "GET /v2/executions" in body["error_msg"]
    assert_error(gcs.request("PATCH", "/v1/executions"), 405, "APIGW.0102")
    assert_error(requests.get(emulator.url + "/_emulator/nope", timeout=10), 404, "APIGW.0101")


def test_seed_takes_exact_names_and_refuses_taken_ones(emulator, gcs):
    body = {"workflows": [{"name": "germline", "template": SIMPLE}],
            "executions": [{"workflow": "germline", "names": ["na1-0a1b2c3d"], "priority": 5,
                            "inputs": {"sample": "NA1"}},
                           {"workflow": "germline", "names": ["na2-99aa00ff"], "status": "Pending"}]}
    assert requests.post(emulator.url + "/_emulator/seed", json=body, timeout=60).status_code == 201
    runs = {e["execution"]["name"]: e["execution"] for e in gcs.get("/v1/executions").json()["executions"]}
    assert runs["na1-0a1b2c3d"]["priority"] == 5 and runs["na2-99aa00ff"]["status"] == "Pending"
    assert runs["na1-0a1b2c3d"]["inputs_json"] == '{"sample": "NA1"}'
    again = requests.post(emulator.url + "/_emulator/seed", json=body, timeout=60)
    assert_error(again, 409, "GCS.4090002")


@pytest.mark.parametrize("body", [b'{"advance_s": NaN}', b'{"advance_s": Infinity}',
                                  b'{"advance_s": 1e400}'])
def test_the_clock_refuses_to_move_by_a_non_finite_amount_and_keeps_working(emulator, gcs, body):
    before = emulator.clock.now()
    response = requests.post(emulator.url + "/_emulator/clock", data=body, timeout=10, headers=JSON)
    assert_error(response, 400, "GCS.4003109")
    assert emulator.clock.now() == before
    assert gcs.get("/v1/tools").status_code == 200


@pytest.mark.parametrize("body", [b'{"latency_ms": "nan"}', b'{"job_seconds": "inf"}',
                                  b'{"fault_rate": NaN}', b'{"reads_per_minute": 1e400}',
                                  b'{"writes_per_minute": -1}'])
def test_settings_refuse_non_finite_numbers_and_the_api_keeps_answering(emulator, gcs, body):
    response = requests.put(emulator.url + "/_emulator/faults", data=body, timeout=10, headers=JSON)
    assert_error(response, 400, "GCS.4003109")
    assert gcs.get("/v1/tools").status_code == 200


@pytest.mark.parametrize("group,code", [({"priority": "high"}, "GCS.4003109"),
                                        ({"start_index": "x"}, "GCS.4003109"),
                                        ({"priority": 1000}, "GCS.4003109"),
                                        ({"workflow": ["germline"]}, "GCS.4003111")])
def test_seed_refuses_non_integer_priorities_and_start_indexes(emulator, group, code):
    response = requests.post(emulator.url + "/_emulator/seed", timeout=10, json={
        "workflows": [{"name": "germline", "template": SIMPLE}],
        "executions": {"count": 2, "workflow": "germline", **group}})
    assert_error(response, 400, code)
