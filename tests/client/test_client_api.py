"""GcsApi against the emulator over loopback: every operation, paging, errors, accounting."""

from __future__ import annotations

import io
import zipfile

import pytest

from gcsapply.client.api import iterate_pages
from gcsapply.emulator import EMBEDDED_PROJECT_ID
from gcsapply.errors import BadRequestError, ConflictError, NotFoundError

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
WDL = b"""\
version 1.0
workflow hello_wdl {
  call align
}
task align { command { echo align } }
"""


def _workflow(api, name="hello-wf"):
    return api.create_workflow({"name": name, "description": "demo", "vendor": "lab"}, f"{name}.yaml", TEMPLATE)


def _launch(api, workflow_id, name, **extra):
    return api.create_execution({"name": name, "workflow_id": workflow_id, "sfs_pvc_name": "gene-sfs",
                                 "namespace": "gene", "target": "cci", **extra})


def test_environments_are_listed_read_created_and_deleted(emulator_api):
    names = {env["name"] for env in emulator_api.list_environments()}
    assert {"default-cci", "default-cce", "cromwell-env"} <= names
    first = emulator_api.list_environments()[0]
    assert emulator_api.get_environment(first["guid"])["name"] == first["name"]
    env_id = emulator_api.create_environment({"env_name": "extra-env", "source": "cci"})
    assert emulator_api.get_environment(env_id)["name"] == "extra-env"
    assert [e["name"] for e in emulator_api.list_environments(source="cci")].count("extra-env") == 1
    emulator_api.delete_environment(env_id)
    with pytest.raises(NotFoundError):
        emulator_api.get_environment(env_id)


def test_a_workflow_goes_through_create_read_update_download_and_delete(emulator_api):
    workflow_id = _workflow(emulator_api)
    view = emulator_api.get_workflow(workflow_id)
    assert (view["name"], view["description"], view["vendor"]) == ("hello-wf", "demo", "lab")
    assert "content" in emulator_api.get_workflow(workflow_id, get_archive=True)
    assert emulator_api.download_workflow(workflow_id) == TEMPLATE
    assert emulator_api.get_workflow_inputs(workflow_id)["inputs"]["sample"]["default"] == "s01"
    assert "samtools:1.9" in emulator_api.get_workflow_tools(workflow_id)["tools"]
    assert emulator_api.update_workflow(workflow_id, {"description": "changed"}) == workflow_id
    assert emulator_api.get_workflow(workflow_id)["description"] == "changed"
    new_file = TEMPLATE.replace(b"s01", b"s02")
    assert emulator_api.update_workflow(workflow_id, filename="hello-wf.yaml", content=new_file) == workflow_id
    assert emulator_api.download_workflow(workflow_id) == new_file
    assert [w["id"] for w in emulator_api.list_workflows(name="hello")] == [workflow_id]
    emulator_api.delete_workflow(workflow_id, del_workflow_package=True)
    assert list(emulator_api.list_workflows(name="hello")) == []


def test_a_taken_workflow_name_is_a_conflict_or_bad_request_with_the_service_code(emulator_api):
    _workflow(emulator_api)
    with pytest.raises((ConflictError, BadRequestError)) as caught:
        _workflow(emulator_api)
    assert caught.value.error_code.startswith("GCS.")
    assert caught.value.operation == "POST /v1/workflows"


def test_update_workflow_refuses_an_empty_update_before_sending():
    from gcsapply.client.api import GcsApi
    with pytest.raises(ValueError):
        GcsApi(session=None).update_workflow("id")


def test_validate_workflow_reports_a_valid_template(emulator_api):
    answer = emulator_api.validate_workflow({"version": "genecontainer_0_1", "workflow": {
        "hello": {"tool": "samtools:1.9", "commands": ["echo hi"]}}})
    assert answer["valid"] is True


def test_an_execution_runs_is_read_operated_and_deleted(emulator, emulator_api):
    workflow_id = _workflow(emulator_api)
    execution_id = _launch(emulator_api, workflow_id, "run-one", priority=5, inputs_json={"sample": "na1"})
    item = emulator_api.get_execution(execution_id)
    assert item["execution"]["name"] == "run-one" and item["execution"]["priority"] == 5
    assert emulator_api.operate_execution(execution_id, "update", priority=7) == execution_id
    assert emulator_api.get_execution(execution_id)["execution"]["priority"] == 7
    assert emulator_api.get_execution_inputs(execution_id)["inputs"]["sample"]["value"] == "na1"
    emulator.clock.advance(120)
    assert emulator_api.get_execution(execution_id)["execution"]["status"] == "Succeeded"
    assert emulator_api.get_execution_outputs(execution_id)["outputs"]["report"]["paths"] == ["na1/report.txt"]
    events = emulator_api.get_execution_events(execution_id)
    assert isinstance(events, list) and events and "reason" in events[0]
    usage = emulator_api.get_resource_usage(execution_id, running=False, show_datapoints=True)
    [(job, metrics)] = usage.items()  # keyed by job name
    assert job.startswith("hello") and metrics[0]["metric"]["namespace"] == "PAAS.CONTAINER"
    assert "dataPoints" in metrics[0]
    assert isinstance(emulator_api.get_resource_usage(execution_id, running=True), dict)
    with pytest.raises(BadRequestError):
        emulator_api.operate_execution(execution_id, "cancel", priority=7)
    emulator_api.delete_execution(execution_id)
    with pytest.raises(NotFoundError) as caught:
        emulator_api.get_execution(execution_id)
    assert caught.value.status == 404


def test_cancel_then_retry_sends_the_priority_each_time(emulator, emulator_api):
    workflow_id = _workflow(emulator_api)
    execution_id = _launch(emulator_api, workflow_id, "run-cancel", priority=9)
    emulator_api.operate_execution(execution_id, "cancel", priority=9)
    emulator.clock.advance(60)
    assert emulator_api.get_execution(execution_id)["execution"]["status"] == "Cancelled"
    emulator_api.operate_execution(execution_id, "retry", priority=9, timeout=60, inputs_json={"sample": "x"})
    assert emulator_api.get_execution(execution_id)["execution"]["priority"] == 9


def test_batch_create_returns_one_id_per_inputs_element(emulator_api):
    workflow_id = _workflow(emulator_api)
    ids = emulator_api.create_executions_batch({"name": "batch", "workflow_id": workflow_id,
                                                "sfs_pvc_name": "gene-sfs", "namespace": "gene",
                                                "inputs_json_list": [{"sample": "a"}, {}, {"sample": "c"}]})
    assert len(ids) == 3
    listed = {i["execution"]["guid"] for i in emulator_api.list_executions(batch_name="batch")}
    assert listed == set(ids)


def test_executions_are_paged_with_offset_and_limit_and_each_listed_once(emulator_api):
    workflow_id = _workflow(emulator_api)
    ids = {_launch(emulator_api, workflow_id, f"page-run-{i}") for i in range(7)}
    emulator_api.session.calls.clear()
    listed = [i["execution"]["guid"] for i in emulator_api.list_executions(page_size=3)]
    assert sorted(listed) == sorted(ids)
    assert emulator_api.session.calls["GET /v1/executions"] == 3  # 3 + 3 + 1 (short page stops)
    assert [i["execution"]["name"] for i in emulator_api.list_executions(name="page-run-6")] == ["page-run-6"]
    assert len(list(emulator_api.list_executions(status="Pending"))) == 7
    assert len(list(emulator_api.list_executions(workflow_name="hello-wf", priority_sort="desc"))) == 7


def test_a_listing_starts_over_when_total_num_moves_and_misses_nothing():
    data = [f"id{i}" for i in range(10)]
    sent = []

    def fetch(params):
        sent.append(dict(params))
        offset, limit = int(params["offset"]), int(params["limit"])
        if len(sent) == 2:  # two new runs land at the head while we page
            data[:0] = ["new1", "new2"]
        page = data[offset:offset + limit]
        return {"executions": [{"execution": {"guid": g}} for g in page], "total_num": len(data)}

    from gcsapply.client.api import execution_guid
    got = [i["execution"]["guid"] for i in iterate_pages(fetch, "executions", execution_guid, {}, 4,
                                                         total_key="total_num")]
    assert sorted(got) == sorted(data) and len(got) == len(set(got))
    assert all(p["offset"].isdigit() and p["limit"] == "4" for p in sent)
    assert sent[1]["offset"] == "4" and sent[2]["offset"] == "0"  # started over


def test_tools_are_flattened_from_the_double_nesting_and_written(emulator_api):
    public = list(emulator_api.list_tools(scope="public", page_size=2))
    names = {(t["name"], t["version"]) for t in public}
    assert {("bwa", "0.7.12"), ("samtools", "1.9"), ("gatk", "4.1.0.0")} <= names
    assert len(public) == len({t["guid"] for t in public})
    tool_id = emulator_api.create_tool({"name": "mytool", "version": "1.0", "image": "mytool:1.0",
                                        "category": "others"})
    assert emulator_api.get_tool(tool_id)["name"] == "mytool"
    assert emulator_api.update_tool(tool_id, {"description": "mine"}) == tool_id
    assert [t["guid"] for t in emulator_api.list_tools(whole_name="mytool")] == [tool_id]
    assert emulator_api.get_tool(tool_id)["description"] == "mine"
    emulator_api.delete_tool(tool_id)
    assert list(emulator_api.list_tools(name="mytool")) == []


def test_cromwell_runs_are_submitted_read_stopped_and_deleted_at_the_executions_extend_paths(
        emulator, emulator_api):
    answer = emulator_api.cromwell_submit({"env_name": "cromwell-env"}, workflow_source=("hello.wdl", WDL),
                                          workflow_inputs=("inputs.json", b'{"hello_wdl.x": 1}'),
                                          workflow_depends=("deps.zip", _zip({"lib/a.wdl": "version 1.0\n"})))
    run = answer["id"]
    assert answer == {"id": run, "message": "the workflow was submitted to Cromwell", "status": "Submitted"}
    view = emulator_api.cromwell_get(run)
    assert view["execution"]["workflow_name"] == "hello_wdl"
    assert view["metadata"]["inputs"] == {"hello_wdl.x": 1}
    emulator.clock.advance(2)
    assert emulator_api.cromwell_stop(run) == {"id": run, "message": "stop requested", "status": "Aborting"}
    assert isinstance(emulator_api.cromwell_resource_usage(run, running=True), dict)
    emulator_api.cromwell_delete(run)
    with pytest.raises(NotFoundError) as caught:
        emulator_api.cromwell_get(run)
    assert caught.value.error_code == "GCS.4040005"
    assert caught.value.operation == f"GET /v1/{EMBEDDED_PROJECT_ID}/executions-extend/{run}"
    calls = emulator_api.session.calls
    assert {key: calls[key] for key in calls if "executions-extend" in key} == {
        "POST /v1/{project_id}/executions-extend": 1, "GET /v1/{project_id}/executions-extend/{id}": 2,
        "POST /v1/{project_id}/executions-extend/{id}/stop": 1,
        "DELETE /v1/{project_id}/executions-extend/{id}": 1}
    assert emulator.stats()["POST /v1/{project_id}/executions-extend/{execution_id}/stop"] == 1


def test_cromwell_runs_are_listed_by_filter_in_pages_and_deleted_in_a_batch(emulator_api):
    workflow_id = _workflow(emulator_api)
    by_id = emulator_api.cromwell_submit({"env_name": "cromwell-env", "workflow_id": workflow_id})["id"]
    runs = [emulator_api.cromwell_submit({"env_name": "cromwell-env", "workflow_source": WDL.decode()})["id"]
            for _ in range(4)]
    emulator_api.session.calls.clear()
    listed = [r["execution"]["guid"] for r in emulator_api.cromwell_list(page_size=2)]
    assert sorted(listed) == sorted(runs + [by_id])
    assert emulator_api.session.calls["GET /v1/{project_id}/executions-extend"] == 3  # 2 + 2 + 1
    assert [r["execution"]["guid"] for r in emulator_api.cromwell_list(workflow_id=workflow_id)] == [by_id]
    assert [r["execution"]["guid"] for r in emulator_api.cromwell_list(workflow_name="hello-wf")] == [by_id]
    assert len(list(emulator_api.cromwell_list(name="hello-wdl", status="Submitted"))) == 4
    missing = "0" * 8 + "-0000-0000-0000-" + "0" * 12
    assert emulator_api.cromwell_delete_many([by_id, missing], clean_data=True) == [
        {"id": by_id, "error": None},
        {"id": missing, "error": {"error_code": "GCS.4040005",
                                  "error_msg": f"Cromwell execution not found: no Cromwell execution {missing}"}}]
    assert emulator_api.cromwell_delete_many(runs) == [{"id": r, "error": None} for r in runs]
    assert list(emulator_api.cromwell_list()) == []
    with pytest.raises(BadRequestError) as caught:
        emulator_api.cromwell_delete_many([])
    assert caught.value.error_code == "GCS.4003111"
    assert caught.value.operation == f"DELETE /v1/{EMBEDDED_PROJECT_ID}/executions-extend"


def test_cromwell_paths_carry_the_project_of_the_credentials_as_one_segment():
    from gcsapply.client.api import cromwell_path
    assert cromwell_path("p1") == "/v1/p1/executions-extend"
    assert cromwell_path("p1", "run/../x?y", "stop") == "/v1/p1/executions-extend/run%2F..%2Fx%3Fy/stop"
    with pytest.raises(ValueError):
        cromwell_path("p1", "..")


def test_a_cromwell_call_without_a_project_id_is_refused_before_sending(emulator):
    from gcsapply.client.api import GcsApi
    from gcsapply.client.session import GcsSession
    from gcsapply.errors import ConfigError
    api = GcsApi(GcsSession(emulator.url, None))
    with pytest.raises(ConfigError, match="Cromwell calls need a project id"):
        api.cromwell_get("run")
    assert emulator.stats() == {}


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_calls_are_counted_per_operation_template(emulator_api):
    workflow_id = _workflow(emulator_api)
    emulator_api.get_workflow(workflow_id)
    emulator_api.get_workflow(workflow_id)
    calls = emulator_api.session.calls
    assert calls["POST /v1/workflows"] == 1
    assert calls["GET /v1/workflows/{id}"] == 2


def test_an_id_is_always_one_path_segment(emulator, emulator_api):
    workflow_id = emulator_api.create_workflow({"name": "kept"}, "kept.yaml", TEMPLATE)
    with pytest.raises(ValueError):
        emulator_api.delete_execution("..")
    with pytest.raises(NotFoundError):  # not DELETE /v1/workflows/<id>
        emulator_api.delete_execution(f"../workflows/{workflow_id}")
    with pytest.raises(NotFoundError):  # not GET /v1/executions?status=Running
        emulator_api.get_execution("x?status=Running")
    assert emulator_api.get_workflow(workflow_id)["name"] == "kept"
    assert emulator.stats()["DELETE /v1/executions/{execution_id}"] == 1
