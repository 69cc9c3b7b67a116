"""Every GCSClient method against the emulator: requests.Response back, HTTPError on errors."""

from __future__ import annotations

import socket

import pytest
import requests

from gcsapply import sdk
from gcsapply.client.api import flatten_tools
from gcsapply.clock import ManualClock
from gcsapply.emulator.credentials import EMBEDDED_DOMAIN
from gcsapply.sdk import GCSClient

TEMPLATE = b"""\
version: genecontainer_0_1
inputs:
  sample: {type: string, default: s01}
workflow:
  hello:
    tool: samtools:1.9
    commands: ["echo ${sample}"]
outputs:
  report: {paths: ["${sample}/report.txt"]}
"""


@pytest.fixture
def template_file(tmp_path):
    path = tmp_path / "hello-wf.yaml"
    path.write_bytes(TEMPLATE)
    return path


def _create(gcs_client, template_file, name="hello-wf"):
    response = gcs_client.create_workflow(name, "lab", "demo workflow", str(template_file))
    assert isinstance(response, requests.Response) and response.status_code == 201
    return response.json()["id"]


def test_environments_are_listed_and_read(gcs_client):
    response = gcs_client.get_environments()
    assert response.status_code == 200
    environments = response.json()["environments"]
    assert {"default-cci", "default-cce", "cromwell-env"} <= {e["name"] for e in environments}
    one = gcs_client.get_environment(environments[0]["guid"])
    assert one.json()["guid"] == environments[0]["guid"]


def test_a_workflow_is_created_read_updated_downloaded_and_deleted(gcs_client, template_file, tmp_path):
    workflow_id = _create(gcs_client, template_file)
    assert gcs_client.get_workflow(workflow_id).json()["vendor"] == "lab"
    assert gcs_client.get_workflow_inputs(workflow_id).json()["inputs"]["sample"]["default"] == "s01"
    assert "samtools:1.9" in gcs_client.get_workflow_tools(workflow_id).json()["tools"]
    assert gcs_client.download_workflow(workflow_id).content == TEMPLATE
    assert gcs_client.update_workflow(workflow_id, description="updated").json() == {"id": workflow_id}
    assert gcs_client.get_workflow(workflow_id).json()["description"] == "updated"
    new_file = tmp_path / "hello-wf-2.yaml"
    new_file.write_bytes(TEMPLATE.replace(b"s01", b"s02"))
    with open(new_file, "rb") as handle:  # an open file works as well as a path
        assert gcs_client.update_workflow(workflow_id, file_obj=handle, vendor="lab2").status_code == 201
    assert gcs_client.download_workflow(workflow_id).content == new_file.read_bytes()
    assert [w["id"] for w in gcs_client.get_workflows().json()["workflow"]] == [workflow_id]
    assert gcs_client.delete_workflow(workflow_id).status_code == 204
    with pytest.raises(requests.HTTPError) as caught:
        gcs_client.get_workflow(workflow_id)
    assert caught.value.response.status_code == 404
    assert set(caught.value.response.json()) == {"error_code", "error_msg", "request_id"}


def test_an_execution_is_created_read_operated_and_deleted(emulator, gcs_client, template_file):
    workflow_id = _create(gcs_client, template_file)
    response = gcs_client.create_execution("sdk-run", workflow_id, "gene-sfs", namespace="gene", priority=3,
                                           inputs_json={"sample": "na1"}, email=["ops@example.org"],
                                           job_retry_count=1)
    assert response.status_code == 201
    execution_id = response.json()["id"]
    execution = gcs_client.get_execution(execution_id).json()["execution"]
    assert (execution["name"], execution["priority"], execution["status"]) == ("sdk-run", 3, "Pending")
    assert gcs_client.get_execution_inputs(execution_id).json()["inputs"]["sample"]["value"] == "na1"
    emulator.clock.advance(2)
    running = gcs_client.get_running_execution_resource_usage(execution_id)
    assert running.status_code == 200 and isinstance(running.json(), dict)
    emulator.clock.advance(120)
    assert gcs_client.get_execution(execution_id).json()["execution"]["status"] == "Succeeded"
    assert gcs_client.get_execution_outputs(execution_id).json() == {"outputs": {"report": {"paths": ["na1/report.txt"]}}}
    events = gcs_client.get_execution_events(execution_id).json()
    assert isinstance(events, list) and events
    usage = gcs_client.get_finished_execution_resource_usage(execution_id, show_datapoints=True).json()
    [(job, metrics)] = usage.items()
    assert job.startswith("hello") and "dataPoints" in metrics[0]
    with pytest.raises(requests.HTTPError) as caught:
        gcs_client.operate_execution(execution_id, "cancel")
    assert caught.value.response.status_code == 400
    assert gcs_client.delete_execution(execution_id).status_code == 204


def test_operate_execution_cancels_and_retries(emulator, gcs_client, template_file):
    workflow_id = _create(gcs_client, template_file)
    execution_id = gcs_client.create_execution("sdk-cancel", workflow_id, "gene-sfs", namespace="gene").json()["id"]
    assert gcs_client.operate_execution(execution_id, "cancel").json() == {"id": execution_id}
    emulator.clock.advance(60)
    assert gcs_client.get_execution(execution_id).json()["execution"]["status"] == "Cancelled"
    response = gcs_client.operate_execution(execution_id, "retry", priority=4, inputs_json={"sample": "b"})
    assert response.status_code == 200
    assert gcs_client.get_execution(execution_id).json()["execution"]["priority"] == 4


def test_get_executions_returns_every_run_across_pages(emulator, gcs_client, template_file, monkeypatch):
    monkeypatch.setattr(sdk, "SDK_PAGE_SIZE", 2)
    workflow_id = _create(gcs_client, template_file)
    for i in range(5):
        gcs_client.create_execution(f"page-{i}", workflow_id, "gene-sfs", namespace="gene", priority=i)
    emulator.reset_stats()
    response = gcs_client.get_executions()
    document = response.json()
    assert [e["execution"]["name"] for e in document["executions"]] == [f"page-{i}" for i in range(4, -1, -1)]
    assert document["total_num"] == 5
    assert emulator.stats()["GET /v1/executions"] == 3
    ascending = gcs_client.get_executions(priority_sort="asc").json()["executions"]
    assert [e["execution"]["priority"] for e in ascending] == [0, 1, 2, 3, 4]


def test_update_workflow_empties_a_description_left_out_and_keeps_a_template_left_out(gcs_client, template_file):
    workflow_id = _create(gcs_client, template_file)
    assert gcs_client.update_workflow(workflow_id, vendor="lab2").json() == {"id": workflow_id}
    workflow = gcs_client.get_workflow(workflow_id).json()
    assert (workflow["vendor"], workflow["description"]) == ("lab2", "")
    assert gcs_client.download_workflow(workflow_id).content == TEMPLATE
    gcs_client.update_workflow(workflow_id, description="d")  # vendor left out: the tenant's name
    assert gcs_client.get_workflow(workflow_id).json()["vendor"] == EMBEDDED_DOMAIN


def test_get_tools_lists_the_projects_own_tools_then_the_public_catalogue(emulator, gcs_client, monkeypatch):
    monkeypatch.setattr(sdk, "SDK_PAGE_SIZE", 1)
    api_tool = gcs_client._session.request("POST", "/v1/tools", json={"name": "mytool", "version": "1.0",
                                                                       "category": "others"}).json()["id"]
    public = flatten_tools(gcs_client._session.request("GET", "/v1/tools", params={"scope": "public"}).json())
    groups = gcs_client.get_tools().json()["tools"]
    assert len(groups) == 1  # the service's double nesting is kept: {"tools": [{"tool": [...]}]}
    tools = groups[0]["tool"]
    assert [t["guid"] for t in tools] == [api_tool] + [t["guid"] for t in public]
    assert ("bwa", "0.7.12", "public") in {(t["name"], t["version"], t["scope"]) for t in tools}
    assert gcs_client.get_tool(api_tool).json()["name"] == "mytool"


def test_no_answer_raises_requests_connection_error(emulator):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GCSClient(endpoint=f"http://127.0.0.1:{port}", clock=ManualClock())
    client.set_aksk_auth_param("AK", "SK", "p1")
    with pytest.raises(requests.ConnectionError):
        client.get_workflows()
    with pytest.raises(requests.ConnectionError):
        client.delete_workflow("x")


def test_an_id_never_reaches_another_path(gcs_client, template_file):
    workflow_id = _create(gcs_client, template_file)
    with pytest.raises(requests.HTTPError) as caught:
        gcs_client.delete_execution(f"../workflows/{workflow_id}")
    assert caught.value.response.status_code == 404
    assert gcs_client.get_workflow(workflow_id).json()["id"] == workflow_id
