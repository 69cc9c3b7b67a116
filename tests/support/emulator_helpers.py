"""Helpers for the emulator's own tests (imported by bare name, like tests/plan/planbuild.py):
a signed ``requests`` client, a workflow uploader, error assertions and a small template."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from gcsapply.client.auth import AkSkAuth
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

# shared/ lies beside the checkout (here and in CI); /work/shared is the workplace's copy
KUBEGENE = next((p for p in (Path(__file__).resolve().parents[3] / "shared/testdata/kubegene",
                             Path("/work/shared/testdata/kubegene")) if p.is_dir()),
                Path("/work/shared/testdata/kubegene"))


class Gcs:
    """A thin signed client: ``gcs.get("/v1/executions", params=...)`` -> requests.Response."""

    def __init__(self, server, auth=None):
        self.server = server
        self.http = requests.Session()
        self.http.auth = auth or AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID,
                                          clock=server.clock)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.server.url + path, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def upload(self, name: str, template: str | bytes, *, method="POST", workflow_id=None,
               **resource) -> requests.Response:
        content = template.encode() if isinstance(template, str) else template
        files = {"resource": (None, json.dumps({"name": name, **resource})),
                 "archive_content": (f"{name}.yaml", content)}
        path = "/v1/workflows" + (f"/{workflow_id}" if workflow_id else "")
        return self.request(method, path, files=files)

    def workflow(self, name: str, template: str | bytes) -> str:
        response = self.upload(name, template)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def launch(self, workflow_id: str, name: str, **body) -> str:
        response = self.post("/v1/executions", json={
            "name": name, "workflow_id": workflow_id, "sfs_pvc_name": "gene-sfs",
            "namespace": "gene", **body})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def execution(self, execution_id: str) -> dict:
        response = self.get(f"/v1/executions/{execution_id}")
        assert response.status_code == 200, response.text
        return response.json()


def assert_error(response, status: int, code: str) -> dict:
    """The response is a Huawei-shaped error with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "error_msg", "request_id"}, body
    assert body["error_code"] == code, body
    return body


SIMPLE = """\
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
