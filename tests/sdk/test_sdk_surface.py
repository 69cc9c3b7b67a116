"""The SDK surface matches the SDK reference (seed document): names, parameters, defaults."""

from __future__ import annotations

import copy
import inspect

import pytest
import requests

from cromwell import CromwellClient as SeedCromwellClient
from gcs import GCSClient as SeedGCSClient
from gcsapply import sdk
from gcsapply.sdk import CromwellClient, GCSClient

AUTH = {
    "set_user_auth_param": "(username, password, project_id, domain_name=None, region='cn-north-4', "
                           "project_name=None)",
    "set_aksk_auth_param": "(ak, sk, project_id, region='cn-north-4', project_name=None)",
    "set_aks_auth_param": "(ak, sk, project_id, region='cn-north-4', project_name=None)",
}
MONITORING = {
    "get_finished_execution_resource_usage": "(execution_id, show_datapoints=False)",
    "get_running_execution_resource_usage": "(execution_id, show_datapoints=False)",
}
GCS_METHODS = {
    **AUTH, **MONITORING,
    "get_environments": "()",
    "get_environment": "(environment_id)",
    "create_workflow": "(name, vendor, description, file_obj, epid='0')",
    "delete_workflow": "(workflow_id)",
    "update_workflow": "(workflow_id, file_obj=None, vendor=None, description=None)",
    "download_workflow": "(workflow_id)",
    "get_workflows": "()",
    "get_workflow": "(workflow_id)",
    "get_workflow_inputs": "(workflow_id)",
    "get_workflow_tools": "(workflow_id)",
    "create_execution": "(name, workflow_id, sfs_pvc_name, cluster_id='', priority=0, inputs_json={}, "
                        "namespace='', timeout=720, description='', email=[], sms=[], "
                        "events=['exec_failed', 'exec_succeeded'], email_message='', email_subject='', "
                        "email_display_name='', sms_message='', image_pull_policy='IfNotPresent', "
                        "job_retry_count=3, target='cci', epid='0')",
    "delete_execution": "(execution_id)",
    "get_execution": "(execution_id)",
    "get_executions": "(priority_sort='')",
    "get_execution_inputs": "(execution_id)",
    "get_execution_outputs": "(execution_id)",
    "get_execution_events": "(execution_id)",
    "operate_execution": "(execution_id, action, priority=0, timeout=720, inputs_json={})",
    "get_tool": "(tool_id)",
    "get_tools": "()",
}
CROMWELL_METHODS = {
    **AUTH, **MONITORING,
    "create_execution": "(workflow_source_file='', workflow_inputs_file='', workflow_options_file='', "
                        "workflow_dependencies_path='', parameters={})",
    "delete_execution": "(execution_id)",
    "get_execution": "(execution_id)",
    "get_executions": "(name='', status='', workflow_name='')",
    "delete_executions": "(execution_ids=[])",
    "stop_execution": "(execution_id)",
}


def _signature(cls, name):
    return str(inspect.signature(getattr(cls(), name)))


@pytest.mark.parametrize("name", sorted(GCS_METHODS))
def test_every_gcsclient_method_has_the_seed_parameters_and_defaults(name):
    assert _signature(GCSClient, name) == GCS_METHODS[name]


@pytest.mark.parametrize("name", sorted(CROMWELL_METHODS))
def test_every_cromwellclient_method_has_the_seed_parameters_and_defaults(name):
    assert _signature(CromwellClient, name) == CROMWELL_METHODS[name]


@pytest.mark.parametrize("cls", [GCSClient, CromwellClient])
def test_clients_are_created_with_no_argument_or_an_endpoint_keyword(cls):
    parameters = list(inspect.signature(cls).parameters.values())
    assert parameters[0].name == "endpoint" and parameters[0].default is None
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters[1:])
    assert cls() is not None


def _defaults(function) -> list:
    return copy.deepcopy([p.default for p in inspect.signature(function).parameters.values()])


MUTABLE_DEFAULTS = [GCSClient.create_execution, GCSClient.operate_execution,
                    CromwellClient.create_execution, CromwellClient.delete_executions]


def test_the_mutable_seed_defaults_are_never_mutated(emulator, gcs_client, cromwell_client, tmp_path):
    before = [_defaults(f) for f in MUTABLE_DEFAULTS]  # copies: the defaults are shared objects
    defaults = {p.name: p.default for p in inspect.signature(GCSClient.create_execution).parameters.values()
                if p.default is not p.empty}
    body = sdk.execution_body("n", "w", "pvc", **defaults)
    body["inputs_json"]["x"] = 1
    body["notification"]["events"].append("x")
    body["notification"]["endpoints"]["email"].append("x")
    template = tmp_path / "hello.yaml"
    template.write_text("version: genecontainer_0_1\nworkflow:\n  a: {tool: x:1, commands: [echo a]}\n")
    workflow_id = gcs_client.create_workflow("hello", "lab", "", str(template)).json()["id"]
    run = gcs_client.create_execution("run-1", workflow_id, "gene-sfs").json()["id"]
    gcs_client.operate_execution(run, "cancel")
    gcs_client.operate_execution(run, "retry")
    with pytest.raises(requests.HTTPError):
        cromwell_client.create_execution()  # no env_name: refused, defaults still untouched
    with pytest.raises(requests.HTTPError):
        cromwell_client.delete_executions()
    assert [_defaults(f) for f in MUTABLE_DEFAULTS] == before
    assert defaults["inputs_json"] == {} and defaults["email"] == []
    assert defaults["events"] == ["exec_failed", "exec_succeeded"]


def test_create_execution_arguments_map_to_the_rest_body():
    body = sdk.execution_body("run-1", "wf-1", "gene-sfs", "cluster-9", 5, {"sample": "a"}, "gene", 60, "d",
                              ["ops@example.org"], ["+8613800000000"], ["exec_failed"], "id {guid}", "subj",
                              "GCS", "", "Always", 2, "cce", "ep-1")
    assert body == {
        "name": "run-1", "workflow_id": "wf-1", "sfs_pvc_name": "gene-sfs", "cluster_id": "cluster-9",
        "priority": 5, "inputs_json": {"sample": "a"}, "namespace": "gene", "timeout": 60, "description": "d",
        "target": "cce", "enterprise_project_id": "ep-1",
        "notification": {"events": ["exec_failed"],
                         "endpoints": {"email": ["ops@example.org"], "sms": ["+8613800000000"]},
                         "email_message": "id {guid}", "email_subject": "subj", "email_display_name": "GCS"},
        "advanced_options": {"image_pull_policy": "Always", "job_retry_count": "2"},
    }


def test_the_endpoint_is_the_keyword_else_the_environment_else_the_region(monkeypatch):
    monkeypatch.delenv("GCSAPPLY_ENDPOINT", raising=False)
    client = GCSClient()
    client.set_aksk_auth_param("AK", "SK", "p1", region="cn-east-2")
    assert client._session.endpoint == "https://gcs.cn-east-2.myhuaweicloud.com"
    client.set_user_auth_param("u", "pw", "p1", "acme")
    assert client._session.endpoint == "https://gcs.cn-north-4.myhuaweicloud.com"
    assert client._session.auth.iam_url == "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"
    assert client.project_name == "cn-north-4"
    monkeypatch.setenv("GCSAPPLY_ENDPOINT", "http://127.0.0.1:9/")
    client = CromwellClient()
    client.set_user_auth_param("u", "pw", "p1", "acme", region="cn-east-2", project_name="cn-east-2_lab")
    assert client._session.endpoint == "http://127.0.0.1:9"
    assert client._session.auth.iam_url == "http://127.0.0.1:9/v3/auth/tokens"
    assert client.project_name == "cn-east-2_lab"
    client = GCSClient(endpoint="https://gcs.example.test")
    client.set_aksk_auth_param("AK", "SK", "p1")
    assert client._session.endpoint == "https://gcs.example.test"


def test_the_quick_starts_three_argument_user_call_takes_the_user_name_as_the_account_name():
    client = GCSClient(endpoint="https://gcs.example.test")
    client.set_user_auth_param("alice", "pw", "p1")
    auth = client._session.auth
    assert (auth.username, auth.domain_name, auth.project_id, auth.project_name) == ("alice", "alice", "p1",
                                                                                   "cn-north-4")
    client.set_user_auth_param("bob", "pw", "p1", "acme")
    assert client._session.auth.domain_name == "acme"


def test_the_modules_gcs_and_cromwell_export_the_clients_as_the_seed_imports_them():
    assert (SeedGCSClient, SeedCromwellClient) == (GCSClient, CromwellClient)


def test_secrets_never_show_in_the_client_repr():
    client = GCSClient(endpoint="https://gcs.example.test")
    client.set_user_auth_param("alice", "hunter2-password", "p1", "acme")
    assert "hunter2-password" not in repr(client)
    client.set_aksk_auth_param("AKID", "SECRET-SK-VALUE", "p1")
    assert "SECRET-SK-VALUE" not in repr(client) and "AKID" in repr(client)


def test_calling_before_setting_credentials_says_what_to_do():
    from gcsapply.errors import ConfigError
    with pytest.raises(ConfigError) as caught:
        GCSClient(endpoint="http://127.0.0.1:9").get_workflows()
    assert "set_aksk_auth_param" in caught.value.hint
