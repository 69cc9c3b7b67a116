"""Cromwell runs at ``/v1/{project_id}/executions-extend`` (the shape of reference §2.7) and the
monitoring endpoints (emulator-defined paths), over loopback."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from emulator_helpers import SIMPLE, Gcs, assert_error

from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.clock import ManualClock
from gcsapply.emulator import (
    EMBEDDED_AK,
    EMBEDDED_DOMAIN,
    EMBEDDED_PASSWORD,
    EMBEDDED_PROJECT_ID,
    EMBEDDED_SK,
    EMBEDDED_USER,
)

EXTEND = f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend"
OTHER_PROJECT = "f" * 32
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


def submit(gcs, wdl=WDL, env="cromwell-env", files=None, **parameters):
    return gcs.post(EXTEND, files={
        "parameters": (None, json.dumps({"env_name": env, **parameters})),
        "workflow_source": ("hello.wdl", wdl),
        "workflow_inputs": ("inputs.json", json.dumps({"hello_wdl.sample": "NA1"})), **(files or {})})


def submit_parameters(gcs, **parameters):
    return gcs.post(EXTEND, files={"parameters": (None, json.dumps(parameters))})


def total(gcs, **query) -> int:
    return gcs.get(EXTEND, params=query).json()["total_num"]


def test_a_submit_answers_201_with_id_message_and_status_submitted(gcs):
    response = submit(gcs)
    assert response.status_code == 201
    answer = response.json()
    assert answer == {"id": answer["id"], "message": "the workflow was submitted to Cromwell",
                      "status": "Submitted"}
    assert str(uuid.UUID(answer["id"])) == answer["id"]


def test_a_cromwell_run_goes_submitted_running_succeeded(emulator, gcs):
    run = submit(gcs).json()["id"]
    response = gcs.get(f"{EXTEND}/{run}")
    assert response.status_code == 200
    view = response.json()
    assert set(view) == {"execution", "metadata", "status", "enterprise_project"}
    assert view["execution"]["status"] == "Submitted"
    assert view["execution"]["workflow_name"] == "hello_wdl"
    assert view["execution"]["wdl_name"] == "hello.wdl"
    assert view["execution"]["project_id"] == EMBEDDED_PROJECT_ID
    assert (view["execution"]["target"], view["execution"]["cromwell_type"]) == ("cromwell", "cce")
    assert view["enterprise_project"] == {"id": "0", "name": "default"}
    assert view["status"]["node_number"] == 2
    emulator.clock.advance(2)
    view = gcs.get(f"{EXTEND}/{run}").json()
    assert view["execution"]["status"] == "Running"
    assert view["status"]["actual_node_status"]["align"]["status"] == "Starting"
    emulator.clock.advance(10)
    view = gcs.get(f"{EXTEND}/{run}").json()
    assert view["execution"]["status"] == "Succeeded"
    assert view["metadata"]["inputs"] == {"hello_wdl.sample": "NA1"}
    assert [c[0]["executionStatus"] for c in view["metadata"]["calls"].values()] == ["Done", "Done"]


def test_a_wdl_with_exit_fails_on_its_last_call(emulator, gcs):
    run = submit(gcs, FAILING_WDL).json()["id"]
    emulator.clock.advance(20)
    view = gcs.get(f"{EXTEND}/{run}").json()
    assert view["execution"]["status"] == "Failed"
    assert view["status"]["actual_node_status"]["sort"]["status"] == "Failed"


def test_stop_answers_200_with_id_message_and_status_then_the_run_is_aborted(emulator, gcs):
    run = submit(gcs).json()["id"]
    emulator.clock.advance(3)
    response = gcs.post(f"{EXTEND}/{run}/stop")
    assert response.status_code == 200
    assert response.json() == {"id": run, "message": "stop requested", "status": "Aborting"}
    assert total(gcs, status="Aborting") == 1
    emulator.clock.advance(3)
    view = gcs.get(f"{EXTEND}/{run}").json()
    assert view["execution"]["status"] == "Aborted"
    assert view["status"]["actual_node_status"]["sort"]["status"] == "Aborted"
    assert_error(gcs.post(f"{EXTEND}/{run}/stop"), 400, "GCS.4003107")
    assert_error(gcs.post(f"{EXTEND}/{uuid.uuid4()}/stop"), 404, "GCS.4040005")


def test_a_run_submitted_by_workflow_id_names_the_gcs_workflow(gcs):
    workflow = gcs.workflow("germline", SIMPLE)
    response = submit_parameters(gcs, env_name="cromwell-env", workflow_id=workflow,
                                 workflow_inputs="obs://bucket/inputs.json")
    assert response.status_code == 201, response.text
    execution = gcs.get(f"{EXTEND}/{response.json()['id']}").json()["execution"]
    assert (execution["workflow_id"], execution["workflow_name"]) == (workflow, "germline")
    assert json.loads(execution["inputs_json"]) == {"location": "obs://bucket/inputs.json"}
    assert total(gcs, workflow_id=workflow) == 1 and total(gcs, workflow_id="nope") == 0
    missing = submit_parameters(gcs, env_name="cromwell-env", workflow_id=str(uuid.uuid4()))
    assert_error(missing, 404, "GCS.4040002")


def test_a_run_submitted_from_obs_locations_is_named_after_the_wdl_object(gcs):
    response = submit_parameters(gcs, env_name="cromwell-env", workflow_source="obs://bucket/wgs.wdl",
                                 workflow_depends="https://bucket.obs.example.com/deps.zip")
    assert response.status_code == 201, response.text
    execution = gcs.get(f"{EXTEND}/{response.json()['id']}").json()["execution"]
    assert (execution["workflow_name"], execution["wdl_name"]) == ("wgs.wdl", "wgs.wdl")


def test_a_dependencies_zip_is_taken_and_anything_else_refused(gcs):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lib/tasks.wdl", "version 1.0\n")
    assert submit(gcs, files={"workflow_depends": ("deps.zip", buffer.getvalue())}).status_code == 201
    refused = submit(gcs, files={"workflow_depends": ("deps.zip", b"not a zip")})
    assert assert_error(refused, 400, "GCS.4003109")["error_msg"] == (
        "Field value invalid: the 'workflow_depends' part (deps.zip) is not a zip archive")
    assert total(gcs) == 1


@pytest.mark.parametrize("send,status,code", [
    (lambda gcs: submit(gcs, env="default-cci"), 400, "GCS.4003112"),
    (lambda gcs: submit(gcs, env="no-such-env"), 400, "GCS.4003112"),
    (lambda gcs: gcs.post(EXTEND, json={"parameters": {"env_name": "cromwell-env", "workflow_source": WDL}}),
     400, "GCS.4003015"),
    (lambda gcs: gcs.post(EXTEND, files={"workflow_source": ("hello.wdl", WDL)}), 400, "GCS.4003111"),
    (lambda gcs: gcs.post(EXTEND, files={"parameters": (None, "{not json")}), 400, "GCS.4003015"),
    (lambda gcs: gcs.post(EXTEND, files={"parameters": (None, "[1]")}), 400, "GCS.4003015"),
    (lambda gcs: submit_parameters(gcs, workflow_source=WDL), 400, "GCS.4003111"),
    (lambda gcs: submit_parameters(gcs, env_name=["cromwell-env"], workflow_source=WDL), 400, "GCS.4003111"),
    (lambda gcs: submit_parameters(gcs, env_name=7, workflow_source=WDL), 400, "GCS.4003111"),
    (lambda gcs: submit_parameters(gcs, env_name="cromwell-env"), 400, "GCS.4003111"),
    (lambda gcs: submit_parameters(gcs, env_name="cromwell-env", workflow_source=WDL,
                                   workflow_inputs={"a": 1}), 400, "GCS.4003109"),
    (lambda gcs: submit_parameters(gcs, env_name="cromwell-env", workflow_id=12), 400, "GCS.4003109"),
    (lambda gcs: submit_parameters(gcs, env_name="cromwell-env", workflow_source=WDL,
                                   workflow_options="[1, 2]"), 400, "GCS.4003015"),
])
def test_a_bad_submission_is_a_400_and_creates_nothing(gcs, send, status, code):
    assert_error(send(gcs), status, code)
    assert total(gcs) == 0


def test_list_answers_executions_and_total_num_filtered_by_each_documented_filter(emulator, gcs):
    first = submit(gcs).json()["id"]
    emulator.clock.advance(1)
    other = submit(gcs, WDL.replace("hello_wdl", "other_wdl")).json()["id"]
    listed = gcs.get(EXTEND).json()
    assert set(listed) == {"executions", "total_num"}
    assert [r["execution"]["guid"] for r in listed["executions"]] == [other, first]  # newest first
    assert set(listed["executions"][0]) == {"execution", "metadata", "status", "enterprise_project"}
    names = {r["execution"]["guid"]: r["execution"]["name"] for r in listed["executions"]}
    assert names[first] == f"hello-wdl-{first[:8]}"

    def guids(**query):
        return [r["execution"]["guid"] for r in gcs.get(EXTEND, params=query).json()["executions"]]

    assert guids(name="hello-wdl") == [first] and guids(name=first[:8]) == [first]
    assert guids(guid=other[4:12]) == [other]
    assert guids(workflow_name="other_wdl") == [other] and guids(workflow_name="other") == []
    assert guids(target="cromwell") == [other, first] and guids(target="cce") == []
    assert guids(status="Running") == [first] and guids(status="Submitted") == [other]
    assert guids(status="Deleting") == [] and guids(name="", status="") == [other, first]
    assert_error(gcs.get(EXTEND, params={"status": "Done"}), 400, "GCS.4003110")


def test_list_pages_with_offset_and_limit_and_keeps_the_total(gcs):
    runs = [submit(gcs).json()["id"] for _ in range(5)][::-1]  # newest first
    pages = [gcs.get(EXTEND, params={"offset": str(offset), "limit": "2"}).json() for offset in (0, 2, 4, 6)]
    assert [[r["execution"]["guid"] for r in p["executions"]] for p in pages] == [
        runs[0:2], runs[2:4], runs[4:], []]
    assert {p["total_num"] for p in pages} == {5}
    assert len(gcs.get(EXTEND, params={"offset": "3"}).json()["executions"]) == 2
    for query in ({"limit": "2"}, {"offset": "0", "limit": "0"}, {"offset": "-1", "limit": "2"},
                  {"offset": "0", "limit": "1001"}, {"offset": "x"}):
        assert_error(gcs.get(EXTEND, params=query), 400, "GCS.4003007")


def test_batch_delete_answers_200_with_each_id_and_its_error(gcs):
    first, second, kept = (submit(gcs).json()["id"] for _ in range(3))
    missing = str(uuid.uuid4())
    response = gcs.delete(EXTEND, json={"clean_data": True, "execution_ids": [first, missing, second, first]})
    assert response.status_code == 200
    assert response.json() == {"executions": [
        {"id": first, "error": None},
        {"id": missing, "error": {"error_code": "GCS.4040005",
                                  "error_msg": f"Cromwell execution not found: no Cromwell execution {missing}"}},
        {"id": second, "error": None}]}
    assert [r["execution"]["guid"] for r in gcs.get(EXTEND).json()["executions"]] == [kept]
    assert gcs.delete(EXTEND, json={"execution_ids": [kept]}).json() == {"executions": [{"id": kept, "error": None}]}
    assert total(gcs) == 0


@pytest.mark.parametrize("body,code", [
    ({}, "GCS.4003111"), ({"execution_ids": []}, "GCS.4003111"), ({"execution_ids": "abc"}, "GCS.4003111"),
    ({"execution_ids": [""]}, "GCS.4003111"), ({"execution_ids": [7]}, "GCS.4003111"),
    ({"clean_data": "yes", "execution_ids": ["RUN"]}, "GCS.4003109"),
    ({"clean_data": 1, "execution_ids": ["RUN"]}, "GCS.4003109")])
def test_a_bad_batch_delete_is_a_400_and_deletes_nothing(gcs, body, code):
    run = submit(gcs).json()["id"]
    body = json.loads(json.dumps(body).replace("RUN", run))
    assert_error(gcs.delete(EXTEND, json=body), 400, code)
    assert_error(gcs.delete(EXTEND, data=b"[1]", headers={"Content-Type": "application/json"}), 400,
                 "GCS.4003015")
    assert total(gcs) == 1


def test_delete_answers_204_with_no_body_and_the_run_is_gone(gcs):
    run = submit(gcs).json()["id"]
    response = gcs.delete(f"{EXTEND}/{run}")
    assert (response.status_code, response.content) == (204, b"")
    assert_error(gcs.get(f"{EXTEND}/{run}"), 404, "GCS.4040005")
    assert_error(gcs.delete(f"{EXTEND}/{run}"), 404, "GCS.4040005")


def test_the_path_project_must_be_the_callers_and_a_mismatch_touches_nothing(emulator, gcs):
    run = submit(gcs).json()["id"]
    other = f"/v1/{OTHER_PROJECT}/executions-extend"
    for method, path, kwargs in (("GET", other, {}), ("GET", f"{other}/{run}", {}),
                                 ("POST", f"{other}/{run}/stop", {}), ("DELETE", f"{other}/{run}", {}),
                                 ("DELETE", other, {"json": {"execution_ids": [run]}}),
                                 ("POST", other, {"files": {"parameters": (None, '{"env_name": "cromwell-env"}'),
                                                            "workflow_source": ("a.wdl", WDL)}})):
        body = assert_error(gcs.request(method, path, **kwargs), 403, "GCS.4030002")
        assert body["error_msg"] == ("The project in the path is not the caller's project: "
                                     f"'{OTHER_PROJECT}' is not the project of these credentials")
    assert [r["execution"]["guid"] for r in gcs.get(EXTEND).json()["executions"]] == [run]
    stranger = Gcs(emulator, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, OTHER_PROJECT, clock=emulator.clock))
    assert stranger.get(other).json() == {"executions": [], "total_num": 0}
    assert_error(stranger.get(f"{other}/{run}"), 404, "GCS.4040005")


def test_a_token_acts_in_the_project_it_names(emulator, gcs):
    run = submit(gcs).json()["id"]
    auth = TokenAuth(emulator.url + "/v3/auth/tokens", EMBEDDED_USER, EMBEDDED_PASSWORD, EMBEDDED_DOMAIN,
                     project_name="cn-north-4", clock=ManualClock())
    with_token = Gcs(emulator, auth)
    assert with_token.get(f"{EXTEND}/{run}").status_code == 200
    assert auth.token_project_id == EMBEDDED_PROJECT_ID
    assert_error(with_token.get(f"/v1/{OTHER_PROJECT}/executions-extend"), 403, "GCS.4030002")


def test_calls_are_counted_per_route_template_and_the_old_paths_are_unknown(emulator, gcs):
    run = submit(gcs).json()["id"]
    gcs.get(EXTEND)
    gcs.get(f"{EXTEND}/{run}")
    gcs.post(f"{EXTEND}/{run}/stop")
    gcs.delete(f"{EXTEND}/{run}")
    gcs.delete(EXTEND, json={"execution_ids": [run]})
    assert emulator.stats() == {
        "POST /v1/{project_id}/executions-extend": 1, "GET /v1/{project_id}/executions-extend": 1,
        "GET /v1/{project_id}/executions-extend/{execution_id}": 1,
        "POST /v1/{project_id}/executions-extend/{execution_id}/stop": 1,
        "DELETE /v1/{project_id}/executions-extend/{execution_id}": 1,
        "DELETE /v1/{project_id}/executions-extend": 1}
    assert_error(gcs.get("/v1/cromwell/executions"), 404, "APIGW.0101")
    assert_error(gcs.post(f"/v1/cromwell/executions/{run}/abort"), 404, "APIGW.0101")
    assert_error(gcs.put(EXTEND, json={}), 405, "APIGW.0102")


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
