"""CromwellClient against the emulator, and the username/password (IAM token) flow of the SDK."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests

from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_DOMAIN, EMBEDDED_PASSWORD, EMBEDDED_PROJECT_ID, EMBEDDED_USER
from gcsapply.errors import ConfigError
from gcsapply.sdk import CromwellClient, GCSClient

WDL = """\
version 1.0
workflow hello_wdl {
  call align
  call sort
}
task align { command { echo align } }
task sort { command { echo sort } }
"""


@pytest.fixture
def wdl_files(tmp_path):
    (tmp_path / "hello.wdl").write_text(WDL)
    (tmp_path / "hello.inputs").write_text(json.dumps({"hello_wdl.sample": "NA1"}))
    (tmp_path / "hello.options").write_text(json.dumps({"final_workflow_outputs_dir": "/out"}))
    deps = tmp_path / "deps"
    (deps / "lib").mkdir(parents=True)
    (deps / "lib" / "tasks.wdl").write_text("version 1.0\n")
    return tmp_path


def test_a_cromwell_run_is_submitted_from_local_files_listed_monitored_and_deleted(emulator, cromwell_client,
                                                                                  wdl_files):
    response = cromwell_client.create_execution(
        workflow_source_file=str(wdl_files / "hello.wdl"), workflow_inputs_file=str(wdl_files / "hello.inputs"),
        workflow_options_file=str(wdl_files / "hello.options"),
        workflow_dependencies_path=str(wdl_files / "deps"), parameters={"env_name": "cromwell-env"})
    assert response.status_code == 201
    answer = response.json()
    assert answer == {"id": answer["id"], "message": "the workflow was submitted to Cromwell", "status": "Submitted"}
    run = answer["id"]
    assert response.request.url == f"{emulator.url}/v1/{EMBEDDED_PROJECT_ID}/executions-extend"
    view = cromwell_client.get_execution(run).json()
    assert view["execution"]["workflow_name"] == "hello_wdl"
    assert view["metadata"]["inputs"] == {"hello_wdl.sample": "NA1"}
    assert [r["execution"]["guid"] for r in cromwell_client.get_executions(workflow_name="hello_wdl")
            .json()["executions"]] == [run]
    assert cromwell_client.get_executions(name="no-such-run").json() == {"executions": [], "total_num": 0}
    emulator.clock.advance(2)
    assert cromwell_client.get_executions(status="Running").json()["total_num"] == 1
    assert isinstance(cromwell_client.get_running_execution_resource_usage(run).json(), dict)
    emulator.clock.advance(30)
    assert cromwell_client.get_execution(run).json()["execution"]["status"] == "Succeeded"
    finished = cromwell_client.get_finished_execution_resource_usage(run, show_datapoints=True).json()
    assert set(finished) == {"align", "sort"}
    deleted = cromwell_client.delete_execution(run)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert emulator.stats() == {
        "POST /v1/{project_id}/executions-extend": 1, "GET /v1/{project_id}/executions-extend/{execution_id}": 2,
        "GET /v1/{project_id}/executions-extend": 3,
        "GET /v1/cromwell/executions/{execution_id}/resource-usage": 2,
        "DELETE /v1/{project_id}/executions-extend/{execution_id}": 1}


def test_a_dependencies_directory_is_zipped_in_memory(wdl_files):
    from gcsapply.sdk import _dependencies
    name, data = _dependencies(wdl_files / "deps")
    assert name == "deps.zip"
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["lib/tasks.wdl"]


def test_dependencies_travel_as_the_workflow_depends_part_which_must_be_a_zip(cromwell_client, wdl_files):
    (wdl_files / "deps.txt").write_text("not a zip")
    with pytest.raises(requests.HTTPError) as caught:
        cromwell_client.create_execution(workflow_source_file=str(wdl_files / "hello.wdl"),
                                         workflow_dependencies_path=str(wdl_files / "deps.txt"),
                                         parameters={"env_name": "cromwell-env"})
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["error_msg"] == (
        "Field value invalid: the 'workflow_depends' part (deps.txt) is not a zip archive")


def test_a_cromwell_run_is_stopped_and_runs_are_deleted_in_a_batch(emulator, cromwell_client):
    first = cromwell_client.create_execution(parameters={"env_name": "cromwell-env", "workflow_source": WDL})
    second = cromwell_client.create_execution(parameters={"env_name": "cromwell-env", "workflow_source": WDL})
    first_id, second_id = first.json()["id"], second.json()["id"]
    emulator.clock.advance(2)
    stopped = cromwell_client.stop_execution(first_id)
    assert stopped.status_code == 200
    assert stopped.json() == {"id": first_id, "message": "stop requested", "status": "Aborting"}
    assert stopped.request.url.endswith(f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend/{first_id}/stop")
    deleted = cromwell_client.delete_executions(execution_ids=[first_id, second_id])
    assert deleted.status_code == 200
    assert deleted.json() == {"executions": [{"id": first_id, "error": None}, {"id": second_id, "error": None}]}
    assert json.loads(deleted.request.body) == {"clean_data": False, "execution_ids": [first_id, second_id]}
    assert cromwell_client.get_executions().json()["executions"] == []
    with pytest.raises(requests.HTTPError) as caught:
        cromwell_client.get_execution(first_id)
    assert caught.value.response.status_code == 404


def test_a_cromwell_submit_without_an_environment_raises_http_error(cromwell_client):
    with pytest.raises(requests.HTTPError) as caught:
        cromwell_client.create_execution(parameters={"workflow_source": WDL})
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["error_code"] == "GCS.4003111"


def test_a_cromwell_client_without_credentials_says_to_set_them_first():
    with pytest.raises(ConfigError) as caught:
        CromwellClient(endpoint="http://127.0.0.1:9").get_executions()
    assert "set_aksk_auth_param(ak, sk, project_id)" in caught.value.hint


def test_a_token_cromwell_client_acts_in_its_project(emulator, cromwell_client):
    run = cromwell_client.create_execution(parameters={"env_name": "cromwell-env", "workflow_source": WDL})
    client = _token_client(emulator, cls=CromwellClient)
    assert [r["execution"]["guid"] for r in client.get_executions().json()["executions"]] == [run.json()["id"]]


def _token_client(emulator, password=EMBEDDED_PASSWORD, cls=GCSClient):
    # The client keeps its own clock: the token cache must not see the emulator's clock jumps.
    client = cls(endpoint=emulator.url, clock=ManualClock())
    client.set_user_auth_param(EMBEDDED_USER, password, EMBEDDED_PROJECT_ID, EMBEDDED_DOMAIN)
    return client


def test_the_token_is_fetched_once_reused_and_refreshed_once_after_a_401(emulator):
    client = _token_client(emulator)
    auth = client._session.auth
    assert client.get_environments().status_code == 200
    assert client.get_workflows().status_code == 200
    assert client.get_tools().status_code == 200
    assert auth.fetches == 1
    emulator.clock.advance(25 * 3600)  # the service expires the token; the client does not know yet
    assert client.get_workflows().status_code == 200
    assert auth.fetches == 2
    assert client._session.calls["GET /v1/workflows"] == 3  # 200, 401, then 200 with the new token
    assert auth.token_project_id == EMBEDDED_PROJECT_ID


def test_a_token_client_sees_the_same_project_as_the_aksk_client(emulator, gcs_client, tmp_path):
    (tmp_path / "w.yaml").write_text("version: genecontainer_0_1\nworkflow:\n  a:\n    tool: bwa:0.7.12\n"
                                     "    commands: ['echo a']\n")
    workflow_id = gcs_client.create_workflow("shared-wf", "lab", "", str(tmp_path / "w.yaml")).json()["id"]
    client = _token_client(emulator)
    assert [w["id"] for w in client.get_workflows().json()["workflow"]] == [workflow_id]


def test_a_wrong_password_raises_http_error_401_with_the_huawei_error_body(emulator):
    client = _token_client(emulator, password="not-the-password", cls=CromwellClient)
    with pytest.raises(requests.HTTPError) as caught:
        client.get_executions()
    response = caught.value.response
    assert response.status_code == 401
    assert response.json()["error_code"] == "IAM.0101"
    assert response.url.endswith("/v3/auth/tokens")
    assert "not-the-password" not in repr(client)
