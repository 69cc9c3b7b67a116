"""Workflows W1-W9 with their documented rules and errors."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import SIMPLE, assert_error

BROKEN = "version: genecontainer_0_2\nworkflow: {}\n"
NO_TYPE = """\
version: genecontainer_0_1
workflow:
  a:
    tool: no-such-tool:0.0
    commands: ["echo hi"]
volumes:
  data: {mount_path: /data, mount_from: {pvc: does-not-exist}}
"""


def test_create_returns_201_and_an_id_and_get_shows_the_workflow(gcs):
    response = gcs.upload("germline", SIMPLE, description="GATK 中文", vendor="lab")
    assert response.status_code == 201
    workflow_id = response.json()["id"]
    view = gcs.get(f"/v1/workflows/{workflow_id}").json()
    assert view["name"] == "germline" and view["description"] == "GATK 中文"
    assert view["vendor"] == "lab" and view["scope"] == "domain"
    assert view["enterprise_project"] == {"id": "0", "name": "default"}
    assert "content" not in view
    with_archive = gcs.get(f"/v1/workflows/{workflow_id}", params={"get_archive": "true"}).json()
    assert with_archive["content"] == SIMPLE


def test_the_lenient_check_never_looks_at_tools_pvcs_or_step_types(gcs):
    assert gcs.upload("lenient", NO_TYPE).status_code == 201


@pytest.mark.parametrize("name", ["Germline", "-a", "a-", "a_b", "a" * 65, ""])
def test_a_workflow_name_breaking_the_k8s_rule_is_refused(gcs, name):
    assert_error(gcs.upload(name, SIMPLE), 400, "GCS.4003101")


def test_names_are_unique_per_project(gcs):
    gcs.workflow("germline", SIMPLE)
    assert_error(gcs.upload("germline", SIMPLE), 409, "GCS.4090001")


def test_an_invalid_template_is_refused_with_its_problems(gcs):
    body = assert_error(gcs.upload("broken", BROKEN), 400, "GCS.4003104")
    assert "genecontainer_0_1" in body["error_msg"]


@pytest.mark.parametrize("field,value", [("description", "a<b"), ("description", "x" * 256),
                                         ("description", "中" * 86), ("vendor", "a/b")])
def test_descriptions_and_vendors_follow_the_character_rules(gcs, field, value):
    assert_error(gcs.upload("wf", SIMPLE, **{field: value}), 400, "GCS.4003102")


def test_file_names_follow_the_upload_rules(gcs):
    assert_error(gcs.upload("wf", SIMPLE, filename="_bad.yaml"), 400, "GCS.4003103")
    assert_error(gcs.upload("wf", SIMPLE, filename="good.txt"), 400, "GCS.4003103")
    assert gcs.upload("wf", SIMPLE, filename="Good_1.yml").status_code == 201


def test_public_scope_is_refused_and_parts_are_required(gcs):
    assert_error(gcs.upload("wf", SIMPLE, scope="public"), 400, "GCS.4003109")
    only_resource = gcs.post("/v1/workflows", files={"resource": (None, '{"name": "x"}')})
    assert_error(only_resource, 400, "GCS.4003111")
    assert_error(gcs.post("/v1/workflows", json={"name": "x"}), 400, "GCS.4003015")


def test_update_changes_fields_or_the_file_and_answers_201(gcs):
    workflow_id = gcs.workflow("germline", SIMPLE)
    response = gcs.put(f"/v1/workflows/{workflow_id}",
                       files={"resource": (None, json.dumps({"description": "new"}))})
    assert response.status_code == 201 and response.json() == {"id": workflow_id}
    assert gcs.get(f"/v1/workflows/{workflow_id}").json()["description"] == "new"
    new_file = SIMPLE.replace("s01", "s02")
    assert gcs.upload("germline", new_file, method="PUT", workflow_id=workflow_id).status_code == 201
    assert gcs.get(f"/v1/workflows/{workflow_id}/archive").text == new_file
    empty = gcs.put(f"/v1/workflows/{workflow_id}", files={"resource": (None, "")})
    assert_error(empty, 400, "GCS.4003111")


def test_a_workflow_used_by_executions_gets_no_new_file_and_cannot_be_deleted(gcs):
    workflow_id = gcs.workflow("germline", SIMPLE)
    run = gcs.launch(workflow_id, "run-1")
    assert_error(gcs.upload("germline", SIMPLE + "\n", method="PUT", workflow_id=workflow_id),
                 409, "GCS.4090003")
    assert_error(gcs.delete(f"/v1/workflows/{workflow_id}"), 409, "GCS.4090003")
    fields_only = gcs.put(f"/v1/workflows/{workflow_id}",
                          files={"resource": (None, json.dumps({"vendor": "other"}))})
    assert fields_only.status_code == 201
    gcs.delete(f"/v1/executions/{run}")
    assert gcs.delete(f"/v1/workflows/{workflow_id}",
                      params={"del_workflow_package": "true"}).status_code == 204
    assert_error(gcs.get(f"/v1/workflows/{workflow_id}"), 404, "GCS.4040002")


def test_archive_inputs_and_tools(gcs):
    workflow_id = gcs.workflow("germline", SIMPLE)
    archive = gcs.get(f"/v1/workflows/{workflow_id}/archive")
    assert archive.status_code == 200 and archive.content == SIMPLE.encode()
    assert gcs.get(f"/v1/workflows/{workflow_id}/inputs").json() == {
        "inputs": {"sample": {"type": "string", "default": "s01"}}}
    tools = gcs.get(f"/v1/workflows/{workflow_id}/tools").json()["tools"]
    assert tools["samtools:1.9"]["scope"] == "public"
    assert tools["samtools:1.9"]["version"] == "1.9" and tools["samtools:1.9"]["cpu"] == "2C"


def test_the_list_uses_the_singular_workflow_key_pages_and_filters_by_substring(gcs):
    for name in ("alpha", "beta", "alphabet"):
        gcs.workflow(name, SIMPLE)
    listed = gcs.get("/v1/workflows").json()
    assert list(listed) == ["workflow"]
    assert [w["name"] for w in listed["workflow"]] == ["alphabet", "beta", "alpha"]
    page = gcs.get("/v1/workflows", params={"offset": "1", "limit": "1"}).json()["workflow"]
    assert [w["name"] for w in page] == ["beta"]
    assert {w["name"] for w in gcs.get("/v1/workflows", params={"name": "alph"}).json()["workflow"]} \
        == {"alpha", "alphabet"}
    assert gcs.get("/v1/workflows", params={"scope": "public"}).json() == {"workflow": []}
    assert_error(gcs.get("/v1/workflows", params={"scope": "mine"}), 400, "GCS.4003110")
    assert_error(gcs.get("/v1/workflows", params={"project_id": "0" * 32}), 400, "GCS.4003110")


@pytest.mark.parametrize("params", [{"limit": "10"}, {"offset": "0", "limit": "0"},
                                    {"offset": "0", "limit": "1001"}, {"offset": "-1"},
                                    {"offset": "0", "limit": "ten"}])
def test_bad_paging_gets_400_gcs_4003007(gcs, params):
    assert_error(gcs.get("/v1/workflows", params=params), 400, "GCS.4003007")


def test_validate_reports_lenient_problems_as_data(gcs):
    good = gcs.post("/v1/workflows/validate", json={"workflow_content": {
        "version": "genecontainer_0_1", "inputs": {}, "volumes": {},
        "workflow": {"a": {"tool": "x:1", "commands": ["echo"]}},
        "metadata": {"Designer": {}}}})
    assert good.status_code == 200 and good.json() == {"valid": True, "errors": []}
    bad = gcs.post("/v1/workflows/validate", json={"workflow_content": {"version": "x"}}).json()
    assert bad["valid"] is False and bad["errors"]
    assert_error(gcs.post("/v1/workflows/validate", json={"workflow_content": "x"}), 400,
                 "GCS.4003015")


def test_unknown_workflows_get_404(gcs):
    for response in (gcs.get("/v1/workflows/nope"), gcs.delete("/v1/workflows/nope"),
                     gcs.get("/v1/workflows/nope/archive"), gcs.get("/v1/workflows/nope/inputs")):
        assert_error(response, 404, "GCS.4040002")


LAUGHS = "version: genecontainer_0_1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))


@pytest.mark.parametrize("template,problem", [
    ("[" * 100_000, "nested more than 64 levels"),  # crashed the process in PyYAML's C composer
    ("# " + "]" * 30_000 + "\n" + "[" * 30_000 + "]" * 30_000, "nested more than 64 levels"),
    ("".join(" " * i + "a:\n" for i in range(1000)), "nested more than 64 levels"),
    (LAUGHS, "aliases expand to more than 100000 values"),  # 10**9 nodes once expanded: hung the server
    ("version: genecontainer_0_1\na: &a [1, *a]\n", "alias refers to its own anchor")])
def test_templates_that_would_crash_or_hang_the_parser_are_refused(gcs, template, problem):
    body = assert_error(gcs.upload("bomb", template), 400, "GCS.4003104")
    assert problem in body["error_msg"]
    assert gcs.get("/v1/workflows").json() == {"workflow": []}


def test_json_nested_too_deep_is_a_bad_body_even_as_template_content(gcs):
    assert_error(gcs.post("/v1/executions", data=b"[" * 100_000,
                          headers={"Content-Type": "application/json"}), 400, "GCS.4003015")
    deep = b'{"workflow_content":' + b'{"a":' * 900 + b"1" + b"}" * 901
    body = assert_error(gcs.post("/v1/workflows/validate", data=deep,
                                 headers={"Content-Type": "application/json"}), 400, "GCS.4003015")
    assert body["error_msg"] == "Request body invalid: the body nests arrays or objects deeper than 64 levels"
    response = gcs.post("/v1/workflows", files={"resource": (None, "[" * 100_000),
                                                "archive_content": ("a.yaml", SIMPLE)})
    assert_error(response, 400, "GCS.4003015")
