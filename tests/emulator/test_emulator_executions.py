"""Executions X1-X9: shapes, preconditions and errors."""

from __future__ import annotations

import pytest
from emulator_helpers import SIMPLE, assert_error

FAILING = """\
version: genecontainer_0_1
workflow:
  a: {tool: x:1, commands: ["exit 2"]}
"""


@pytest.fixture
def workflow(gcs):
    return gcs.workflow("hello", SIMPLE)


def test_create_answers_201_with_the_id_and_get_shows_the_four_parts(gcs, workflow):
    response = gcs.post("/v1/executions", json={
        "name": "run-1", "workflow_id": workflow, "sfs_pvc_name": "gene-sfs", "namespace": "",
        "label": {"team": "wgs"}, "priority": 7, "inputs_json": {"sample": "NA12878"},
        "notification": {"events": ["exec_failed"], "endpoints": {"email": ["a@b.c"]}},
        "advanced_options": {"image_pull_policy": "Always", "job_retry_count": "2"}})
    assert response.status_code == 201
    view = gcs.execution(response.json()["id"])
    assert set(view) == {"execution", "object", "status", "enterprise_project"}
    execution = view["execution"]
    assert execution["name"] == "run-1" and execution["workflow_name"] == "hello"
    assert execution["label"] == {"team": "wgs"} and execution["priority"] == 7
    assert execution["inputs_json"] == '{"sample": "NA12878"}'
    assert execution["status"] == "Pending" and execution["target"] == "cci"
    assert execution["create_at"] == "2026-01-01T00:00:00Z"
    assert view["object"]["kind"] == "execution"
    assert view["object"]["apiVersion"] == "gene.kubedag/v1alpha1"
    assert view["object"]["spec"]["objectData"]  # the template, base64


def test_inputs_and_outputs_are_resolved(gcs, workflow):
    run = gcs.launch(workflow, "run-1", inputs_json={"sample": "NA1"})
    inputs = gcs.get(f"/v1/executions/{run}/inputs").json()["inputs"]
    assert inputs["sample"] == {"default": "s01", "description": "", "label": "basic",
                                "type": "string", "value": "NA1"}
    assert inputs["sfs_pvc_name"]["label"] == "internal"
    assert inputs["sfs_pvc_name"]["value"] == "gene-sfs"
    assert gcs.get(f"/v1/executions/{run}/outputs").json() == {
        "outputs": {"report": {"paths": ["NA1/report.txt"]}}}
    assert gcs.execution(run)["execution"]["outputs_json"] == ""


def test_a_succeeded_run_shows_its_outputs_json(emulator, gcs, workflow):
    run = gcs.launch(workflow, "run-1")
    emulator.clock.advance(10)
    assert gcs.execution(run)["execution"]["outputs_json"] == \
        '{"report": {"paths": ["s01/report.txt"]}}'


def test_events_are_a_bare_array(emulator, gcs, workflow):
    run = gcs.launch(workflow, "run-1")
    emulator.clock.advance(10)
    events = gcs.get(f"/v1/executions/{run}/events").json()
    assert isinstance(events, list)
    assert events[-1]["reason"] == "执行成功##SuccessfulFinish"
    assert set(events[0]) == {"metadata", "involvedObject", "reason", "message", "firstTimestamp",
                              "lastTimestamp", "count", "type", "elemType", "elemId", "actionName"}


def test_the_sfs_pvc_name_is_required(gcs, workflow):
    response = gcs.post("/v1/executions", json={"name": "r", "workflow_id": workflow})
    assert_error(response, 400, "GCS.4003022")


@pytest.mark.parametrize("name", ["Run", "run_1", "r" * 64, "-r"])
def test_execution_names_follow_the_k8s_rule_and_63_bytes(gcs, workflow, name):
    response = gcs.post("/v1/executions", json={"name": name, "workflow_id": workflow,
                                                "sfs_pvc_name": "s"})
    assert_error(response, 400, "GCS.4003101")


def test_a_63_byte_name_is_fine(gcs, workflow):
    assert gcs.launch(workflow, "r" * 63)


def test_execution_names_are_unique_unless_the_emulator_allows_any(emulator, gcs, workflow):
    gcs.launch(workflow, "run-1")
    body = {"name": "run-1", "workflow_id": workflow, "sfs_pvc_name": "s"}
    assert_error(gcs.post("/v1/executions", json=body), 409, "GCS.4090002")
    emulator.configure(execution_names="any")
    assert gcs.post("/v1/executions", json=body).status_code == 201
    assert gcs.get("/v1/executions", params={"name": "run-1"}).json()["total_num"] == 2


@pytest.mark.parametrize("inputs", [{"sample": 3}, {"nope": "x"}, ["a"]])
def test_inputs_are_checked_against_the_template(gcs, workflow, inputs):
    response = gcs.post("/v1/executions", json={"name": "r", "workflow_id": workflow,
                                                "sfs_pvc_name": "s", "inputs_json": inputs})
    assert_error(response, 400, "GCS.4003105")


@pytest.mark.parametrize("field,value", [("priority", 1000), ("priority", -1), ("target", "k8s"),
                                         ("timeout", 0), ("label", {"a": 1}),
                                         ("advanced_options", {"image_pull_policy": "Sometimes"})])
def test_launch_settings_are_checked(gcs, workflow, field, value):
    response = gcs.post("/v1/executions", json={"name": "r", "workflow_id": workflow,
                                                "sfs_pvc_name": "s", field: value})
    assert_error(response, 400, "GCS.4003109")


def test_an_unknown_workflow_gets_404(gcs):
    response = gcs.post("/v1/executions", json={"name": "r", "workflow_id": "nope",
                                                "sfs_pvc_name": "s"})
    assert_error(response, 404, "GCS.4040002")


def test_batch_create_makes_one_run_per_inputs_element_up_to_50(gcs, workflow):
    body = {"name": "cohort", "workflow_id": workflow, "sfs_pvc_name": "s",
            "inputs_json_list": [{"sample": "a"}, {}, {"sample": "c"}]}
    response = gcs.post("/v1/executions_iter", json=body)
    assert response.status_code == 201
    ids = response.json()["ids"]
    assert len(ids) == 3
    listed = gcs.get("/v1/executions", params={"batch_name": "cohort"}).json()
    assert sorted(e["execution"]["name"] for e in listed["executions"]) == [
        "cohort-0", "cohort-1", "cohort-2"]
    assert_error(gcs.post("/v1/executions_iter", json={**body, "inputs_json_list": [{}] * 51}),
                 400, "GCS.4003108")
    assert_error(gcs.post("/v1/executions_iter", json={**body, "inputs_json_list": []}),
                 400, "GCS.4003111")
    assert_error(gcs.post("/v1/executions_iter", json=body), 409, "GCS.4090002")
    assert gcs.get("/v1/executions").json()["total_num"] == 3  # all or nothing


def test_the_list_has_total_num_pages_and_filters(emulator, gcs, workflow):
    other = gcs.workflow("other", SIMPLE)
    for i in range(5):
        gcs.launch(workflow, f"run-{i}", priority=i)
        emulator.clock.advance(1)
    gcs.launch(other, "x-1")
    listed = gcs.get("/v1/executions").json()
    assert listed["total_num"] == 6
    assert [e["execution"]["name"] for e in listed["executions"]][:3] == ["x-1", "run-4", "run-3"]
    page = gcs.get("/v1/executions", params={"offset": "2", "limit": "2"}).json()
    assert page["total_num"] == 6
    assert [e["execution"]["name"] for e in page["executions"]] == ["run-3", "run-2"]
    assert gcs.get("/v1/executions", params={"workflow_name": "other"}).json()["total_num"] == 1
    assert gcs.get("/v1/executions", params={"name": "run"}).json()["total_num"] == 5
    by_priority = gcs.get("/v1/executions", params={"priority_sort": "desc"}).json()["executions"]
    assert by_priority[0]["execution"]["name"] == "run-4"
    emulator.clock.advance(2)  # t=7: run-0 (created t=0) and run-1 (t=1) have finished
    succeeded = gcs.get("/v1/executions", params={"status": "Succeeded"}).json()
    assert succeeded["total_num"] == 2
    assert {e["execution"]["status"] for e in succeeded["executions"]} == {"Succeeded"}
    assert_error(gcs.get("/v1/executions", params={"status": "Done"}), 400, "GCS.4003110")
    assert_error(gcs.get("/v1/executions", params={"limit": "5"}), 400, "GCS.4003007")


def test_cancel_is_allowed_from_pending_and_running_only(emulator, gcs):
    run = gcs.launch(gcs.workflow("fails", FAILING), "run-1")
    emulator.clock.advance(10)
    assert gcs.execution(run)["execution"]["status"] == "Failed"
    body = assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "cancel"}), 400,
                        "GCS.4003107")
    assert "status Failed" in body["error_msg"]


def test_retry_is_allowed_from_failed_and_cancelled_only(emulator, gcs, workflow):
    run = gcs.launch(workflow, "run-1")
    assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "retry"}), 400, "GCS.4003107")
    emulator.clock.advance(10)
    assert gcs.execution(run)["execution"]["status"] == "Succeeded"
    assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "retry"}), 400, "GCS.4003107")


def test_update_sets_the_priority_and_every_operate_resets_an_omitted_one(emulator, gcs, workflow):
    run = gcs.launch(workflow, "run-1", priority=5)
    assert gcs.put(f"/v1/executions/{run}", json={"action": "update", "priority": 9}).status_code == 200
    assert gcs.execution(run)["execution"]["priority"] == 9
    gcs.put(f"/v1/executions/{run}", json={"action": "cancel"})
    assert gcs.execution(run)["execution"]["priority"] == 0
    assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "update", "priority": 1}), 400,
                 "GCS.4003107")


def test_operate_needs_a_known_action(gcs, workflow):
    run = gcs.launch(workflow, "run-1")
    assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "pause"}), 400, "GCS.4003106")
    assert_error(gcs.put(f"/v1/executions/{run}", json={}), 400, "GCS.4003106")
    assert_error(gcs.put(f"/v1/executions/{run}", data=b"not json",
                         headers={"Content-Type": "application/json"}), 400, "GCS.4003015")


def test_delete_answers_204_and_the_run_is_gone(gcs, workflow):
    run = gcs.launch(workflow, "run-1")
    assert gcs.delete(f"/v1/executions/{run}").status_code == 204
    for response in (gcs.get(f"/v1/executions/{run}"), gcs.delete(f"/v1/executions/{run}"),
                     gcs.get(f"/v1/executions/{run}/events"),
                     gcs.put(f"/v1/executions/{run}", json={"action": "cancel"})):
        assert_error(response, 404, "GCS.4040003")
