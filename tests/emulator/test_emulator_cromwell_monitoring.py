"""Cromwell runs and the monitoring endpoints (emulator-defined paths)."""

from __future__ import annotations

import json

from emulator_helpers import SIMPLE, assert_error

WDL = """\
version 1.0
workflow hello_wdl {
  call align
  call sort
}
task align { command { echo align } }
task sort { command { echo sort } }
"""
FAILING_WDL = WDL.replace("echo sort", "\n    exit 2\n")


def submit(gcs, wdl=WDL, env="cromwell-env", **parameters):
    return gcs.post("/v1/cromwell/executions", files={
        "parameters": (None, json.dumps({"env_name": env, **parameters})),
        "workflow_source": ("hello.wdl", wdl),
        "workflow_inputs": ("inputs.json", json.dumps({"hello_wdl.sample": "NA1"}))})


def test_a_cromwell_run_goes_submitted_running_succeeded(emulator, gcs):
    response = submit(gcs)
    assert response.status_code == 201
    assert response.json()["status"] == "Submitted"
    run = response.json()["id"]
    view = gcs.get(f"/v1/cromwell/executions/{run}").json()
    assert set(view) == {"execution", "metadata", "status", "enterprise_project"}
    assert view["execution"]["status"] == "Submitted"
    assert view["execution"]["workflow_name"] == "hello_wdl"
    assert view["status"]["node_number"] == 2
    emulator.clock.advance(2)
    view = gcs.get(f"/v1/cromwell/executions/{run}").json()
    assert view["execution"]["status"] == "Running"
    assert view["status"]["actual_node_status"]["align"]["status"] == "Starting"
    emulator.clock.advance(10)
    view = gcs.get(f"/v1/cromwell/executions/{run}").json()
    assert view["execution"]["status"] == "Succeeded"
    assert view["metadata"]["inputs"] == {"hello_wdl.sample": "NA1"}
    assert [c[0]["executionStatus"] for c in view["metadata"]["calls"].values()] == ["Done", "Done"]


def test_a_wdl_with_exit_fails_on_its_last_call(emulator, gcs):
    run = submit(gcs, FAILING_WDL).json()["id"]
    emulator.clock.advance(20)
    view = gcs.get(f"/v1/cromwell/executions/{run}").json()
    assert view["execution"]["status"] == "Failed"
    assert view["status"]["actual_node_status"]["sort"]["status"] == "Failed"


def test_stop_aborts_after_the_running_call(emulator, gcs):
    run = submit(gcs).json()["id"]
    emulator.clock.advance(3)
    response = gcs.post(f"/v1/cromwell/executions/{run}/abort")
    assert response.status_code == 200 and response.json()["status"] == "Aborting"
    assert gcs.get("/v1/cromwell/executions", params={"status": "Aborting"}).json()["total_num"] == 1
    emulator.clock.advance(3)
    view = gcs.get(f"/v1/cromwell/executions/{run}").json()
    assert view["execution"]["status"] == "Aborted"
    assert view["status"]["actual_node_status"]["sort"]["status"] == "Aborted"
    assert_error(gcs.post(f"/v1/cromwell/executions/{run}/abort"), 400, "GCS.4003107")


def test_submit_needs_a_cromwell_environment_and_a_wdl(gcs):
    assert_error(submit(gcs, env="default-cci"), 400, "GCS.4003112")
    assert_error(gcs.post("/v1/cromwell/executions", json={"parameters": {}}), 400, "GCS.4003111")
    for env_name in (["cromwell-env"], {"name": "cromwell-env"}, 7):  # not a name: 400, not 500
        assert_error(gcs.post("/v1/cromwell/executions", json={"parameters": {
            "env_name": env_name, "workflow_source": WDL}}), 400, "GCS.4003111")
    assert_error(gcs.post("/v1/cromwell/executions",
                          json={"parameters": {"env_name": "cromwell-env"}}), 400, "GCS.4003111")
    by_json = gcs.post("/v1/cromwell/executions", json={"parameters": {
        "env_name": "cromwell-env", "workflow_source": WDL}})
    assert by_json.status_code == 201


def test_list_filters_and_batch_delete(gcs):
    first, second = submit(gcs).json()["id"], submit(gcs).json()["id"]
    listed = gcs.get("/v1/cromwell/executions", params={"workflow_name": "hello_wdl"}).json()
    assert listed["total_num"] == 2
    assert gcs.get("/v1/cromwell/executions", params={"name": "nomatch"}).json()["total_num"] == 0
    assert_error(gcs.get("/v1/cromwell/executions", params={"status": "Done"}), 400, "GCS.4003110")
    assert_error(gcs.post("/v1/cromwell/executions/batch-delete",
                          json={"execution_ids": [first, "nope"]}), 404, "GCS.4040005")
    assert gcs.post("/v1/cromwell/executions/batch-delete",
                    json={"execution_ids": [first, second]}).status_code == 204
    assert gcs.get("/v1/cromwell/executions").json()["total_num"] == 0
    third = submit(gcs).json()["id"]
    assert gcs.delete(f"/v1/cromwell/executions/{third}").status_code == 204
    assert_error(gcs.get(f"/v1/cromwell/executions/{third}"), 404, "GCS.4040005")


def test_resource_usage_of_running_and_finished_jobs(emulator, gcs):
    run = gcs.launch(gcs.workflow("hello", SIMPLE), "run-1")
    emulator.clock.advance(3)
    running = gcs.get(f"/v1/executions/{run}/resource-usage", params={"state": "running"}).json()
    [job] = running
    assert job.startswith("hello-0-")
    metrics = {m["metric"]["metricName"]: m for m in running[job]}
    assert set(metrics) == {"cpuCoreLimit", "cpuCoreUsed", "cpuUsage", "memCapacity", "memUsed",
                            "memUsage"}
    assert metrics["cpuCoreLimit"]["average_value_metric"] == 2.0
    assert metrics["memCapacity"]["average_value_metric"] == 8192.0
    assert "current_value_metric" in metrics["cpuUsage"] and "dataPoints" not in metrics["cpuUsage"]
    assert metrics["cpuUsage"]["metric"]["namespace"] == "PAAS.CONTAINER"
    assert gcs.get(f"/v1/executions/{run}/resource-usage").json() == {}  # nothing finished yet
    emulator.clock.advance(10)
    finished = gcs.get(f"/v1/executions/{run}/resource-usage",
                       params={"state": "finished", "show_datapoints": "true"}).json()
    record = finished[job][0]
    assert "current_value_metric" not in record
    assert record["dataPoints"][0]["statistics"][0]["statistic"] == "maximum"
    assert_error(gcs.get(f"/v1/executions/{run}/resource-usage", params={"state": "done"}), 400,
                 "GCS.4003110")


def test_cromwell_resource_usage_lists_its_calls(emulator, gcs):
    run = submit(gcs).json()["id"]
    emulator.clock.advance(20)
    usage = gcs.get(f"/v1/cromwell/executions/{run}/resource-usage").json()
    assert sorted(usage) == ["align", "sort"]
