"""Environments E1-E4 and tools T1-T5, seeded like a new tenant."""

from __future__ import annotations

import pytest
from emulator_helpers import assert_error


def test_a_new_tenant_has_three_environments(gcs):
    envs = gcs.get("/v1/environments").json()["environments"]
    assert [(e["name"], e["source"], e["default_env"], e["status"]) for e in envs] == [
        ("default-cci", "cci", True, "Running"), ("default-cce", "cce", False, "Running"),
        ("cromwell-env", "cromwell", False, "Running")]
    assert "cluster_info" not in envs[0] and "cluster_info" in envs[1]
    only_cce = gcs.get("/v1/environments", params={"source": "cce"}).json()["environments"]
    assert [e["name"] for e in only_cce] == ["default-cce"]
    assert gcs.get(f"/v1/environments/{envs[0]['guid']}").json() == envs[0]
    assert_error(gcs.get("/v1/environments", params={"source": "k8s"}), 400, "GCS.4003110")


def test_deploy_and_delete_an_environment(emulator, gcs):
    response = gcs.post("/v1/environments", json={"env_name": "extra", "source": "cci",
                                                  "default_env": "true"})
    assert response.status_code == 201
    env_id = response.json()["id"]
    env = gcs.get(f"/v1/environments/{env_id}").json()
    assert env["status"] == "Creating" and env["default_env"] is True
    emulator.clock.advance(5)
    assert gcs.get(f"/v1/environments/{env_id}").json()["status"] == "Running"
    assert_error(gcs.post("/v1/environments", json={"env_name": "extra", "source": "cci"}), 400,
                 "GCS.4003011")
    assert_error(gcs.post("/v1/environments", json={"env_name": "x", "source": "cce"}), 400,
                 "GCS.4003109")
    for wrong in ({"bucket_name": ["b"]}, {"cluster_id": {"id": "c"}}, {"source": 1}):
        assert_error(gcs.post("/v1/environments", json={"env_name": "y", "source": "cce",
                                                        "bucket_name": "b", **wrong}), 400,
                     "GCS.4003109")
    assert gcs.delete(f"/v1/environments/{env_id}").status_code == 204
    defaults = [e["name"] for e in gcs.get("/v1/environments").json()["environments"]
                if e["default_env"]]
    assert defaults == ["cromwell-env"]  # the most recently created remaining one
    assert_error(gcs.get(f"/v1/environments/{env_id}"), 404, "GCS.4040001")
    assert_error(gcs.delete(f"/v1/environments/{env_id}", params={"delete_cluster": "maybe"}),
                 404, "GCS.4040001")


def test_the_public_catalogue_has_the_usual_tools(gcs):
    tools = gcs.get("/v1/tools", params={"scope": "public"}).json()
    assert list(tools) == ["tools"] and list(tools["tools"][0]) == ["tool"]
    refs = {f"{t['name']}:{t['version']}" for t in tools["tools"][0]["tool"]}
    assert {"bwa:0.7.12", "samtools:1.9", "gatk:4.1.0.0", "bcftools:1.9", "fastqc:0.11.9",
            "picard:2.18.2", "zsplit:0.2"} <= refs
    assert "nginx:latest" not in refs
    assert gcs.get("/v1/tools").json() == {"tools": [{"tool": []}]}  # scope=domain by default
    gatk = gcs.get("/v1/tools", params={"scope": "public", "whole_name": "gatk"}).json()
    assert {t["version"] for t in gatk["tools"][0]["tool"]} == {"4.0.9.0", "4.1.0.0"}


def test_create_update_get_list_and_delete_a_tool(gcs):
    response = gcs.post("/v1/tools", json={"name": "mytool", "version": "1.0", "image": "my:1.0",
                                           "category": "others"})
    assert response.status_code == 201
    tool_id = response.json()["id"]
    tool = gcs.get(f"/v1/tools/{tool_id}").json()
    assert (tool["scope"], tool["cpu"], tool["memory"], tool["type"]) == ("domain", "2C", "8G",
                                                                        "container")
    assert gcs.put(f"/v1/tools/{tool_id}", json={"cpu": "4C", "description": "d"}).json() == {
        "id": tool_id}
    assert gcs.get(f"/v1/tools/{tool_id}").json()["cpu"] == "4C"
    listed = gcs.get("/v1/tools", params={"name": "myt", "category": "others"}).json()
    assert [t["guid"] for t in listed["tools"][0]["tool"]] == [tool_id]
    assert_error(gcs.post("/v1/tools", json={"name": "mytool", "version": "1.0"}), 409,
                 "GCS.4090004")
    assert gcs.delete(f"/v1/tools/{tool_id}").status_code == 204
    assert_error(gcs.get(f"/v1/tools/{tool_id}"), 404, "GCS.4040004")


@pytest.mark.parametrize("body", [{"name": "t", "version": "1..0"}, {"name": "t", "cpu": "2"},
                                  {"name": "t", "memory": "0G"}, {"name": "t", "category": "x"},
                                  {"name": "t", "type": "vm"}, {"name": "t", "vendor": "a/b"},
                                  {"name": "t", "version": 5}, {"name": "t", "logo": {"a": 1}},
                                  {"name": "t", "command": ["bwa", "mem"]}])
def test_tool_fields_are_checked(gcs, body):
    response = gcs.post("/v1/tools", json=body)
    assert response.status_code == 400, response.text


def test_public_tools_cannot_be_changed(gcs):
    public = gcs.get("/v1/tools", params={"scope": "public"}).json()["tools"][0]["tool"][0]
    assert_error(gcs.delete(f"/v1/tools/{public['guid']}"), 403, "GCS.4030001")
    assert_error(gcs.put(f"/v1/tools/{public['guid']}", json={"cpu": "1C"}), 403, "GCS.4030001")
    assert_error(gcs.post("/v1/tools", json={"name": "t", "scope": "public"}), 403, "GCS.4030001")


def test_an_environment_id_longer_than_64_characters_is_invalid(gcs):
    assert_error(gcs.get(f"/v1/environments/{'e' * 65}"), 400, "GCS.4003001")
    assert_error(gcs.delete(f"/v1/environments/{'e' * 65}"), 400, "GCS.4003001")
    assert_error(gcs.get(f"/v1/environments/{'e' * 64}"), 404, "GCS.4040001")
