"""Huawei's own signer as the oracle of the emulator's verifier: requests signed by
``huaweicloudsdkcore`` (``BasicCredentials`` -> ``Signer``) and sent over loopback exactly as
signed are accepted -- a seeded batch of GETs with awkward query strings and paths, JSON POSTs and
PUTs, multipart uploads and DELETEs, with and without a Content-Type."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from urllib.parse import quote

import requests
from emulator_helpers import SIMPLE, assert_error
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from urllib3 import encode_multipart_formdata

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK

SEED = 20240102
BATCH = 200
# characters a query value or a path segment may carry, most of them needing percent-encoding
AWKWARD = "abcXYZ019 -_.~!*'();:@&=+$,?#[]%\"<>\\^`{|}中文é"
# what a description may carry (the service forbids < > # % &)
TEXT = "abc XYZ 019 -_.~!*'();:@=+$,?[]\"\\^`{|}/中文é"
JSON_TYPES = ("application/json", "application/json;charset=UTF-8", "application/json; charset=utf-8")
# the signer sends X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD for all but JSON/BSON, body or not
BODYLESS_TYPES = (None, "application/json", "text/plain", "application/octet-stream",
                  "multipart/form-data; boundary=unused")
LIST_PATHS = ("/v1/tools", "/v1/workflows", "/v1/executions", "/v1/environments",
              f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend")


class HuaweiSigned:
    """Requests signed by huaweicloudsdkcore and sent byte for byte as the signer left them."""

    def __init__(self, emulator, sk: str = EMBEDDED_SK):
        self.emulator = emulator
        self.credentials = BasicCredentials(EMBEDDED_AK, sk, EMBEDDED_PROJECT_ID)
        self.http = requests.Session()

    def send(self, method: str, path: str, *, query=(), headers=None, body: bytes = b"",
             skew_s: float = 0.0) -> requests.Response:
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.emulator.clock.now() + skew_s))
        signed = SdkRequest(method=method, schema="http", host=f"127.0.0.1:{self.emulator.port}",
                            resource_path=path, query_params=list(query),
                            header_params={"X-Sdk-Date": date, **(headers or {})}, body=body)
        self.credentials.sign_request(signed)
        prepared = requests.Request(method, signed.url, headers=signed.header_params,
                                    data=signed.body or None).prepare()
        prepared.url = signed.url  # exactly the signer's URI, never re-quoted
        return self.http.send(prepared, timeout=10)


def test_two_hundred_seeded_requests_signed_by_huaweicloudsdkcore_are_all_accepted(emulator):
    batch = _Batch(HuaweiSigned(emulator), random.Random(SEED))
    outcomes = [batch.random_request() for _ in range(BATCH)]
    assert [o for o in outcomes if o.status != o.expected] == []
    assert len(outcomes) == BATCH
    assert {o.what.split()[0] for o in outcomes} == {"GET", "POST", "PUT", "DELETE"}


def test_query_values_needing_percent_encoding_are_accepted(emulator):
    response = HuaweiSigned(emulator).send("GET", "/v1/tools", query=[
        ("name", "gatk wf~1 & a=b/c?d#e%f+g 中文"), ("zz list", ["b", "a c"]), ("zz_flag", True),
        ("offset", 0), ("limit", 10)])
    assert response.status_code == 200, response.text
    assert response.json() == {"tools": [{"tool": []}]}


def test_an_empty_body_with_a_non_json_content_type_is_accepted_as_the_signer_hashes_it(emulator):
    huawei = HuaweiSigned(emulator)
    created = huawei.send("POST", "/v1/tools", headers={"Content-Type": "application/json"},
                          body=b'{"name":"bwa-local"}')
    assert created.status_code == 201, created.text
    deleted = huawei.send("DELETE", f"/v1/tools/{created.json()['id']}",
                          headers={"Content-Type": "text/plain"})
    assert "x-sdk-content-sha256" in deleted.request.headers["Authorization"]
    assert deleted.status_code == 204, deleted.text


def test_a_multipart_upload_signed_unsigned_payload_is_accepted(emulator):
    body, content_type = encode_multipart_formdata({
        "resource": (None, json.dumps({"name": "hello"})),
        "archive_content": ("hello.yaml", SIMPLE.encode())}, boundary="BOUNDARY")
    response = HuaweiSigned(emulator).send("POST", "/v1/workflows", body=body,
                                           headers={"Content-Type": content_type})
    assert response.request.headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert response.status_code == 201, response.text


def test_a_request_the_signer_signed_with_another_secret_is_refused(emulator):
    response = HuaweiSigned(emulator, sk="not-the-secret").send("GET", "/v1/tools")
    assert "signature does not match" in assert_error(response, 401, "APIGW.0301")["error_msg"]


@dataclass(frozen=True)
class _Outcome:
    what: str
    status: int
    expected: int
    body: str


class _Batch:
    """Random requests over a small world of tools, workflows and runs the batch creates."""

    def __init__(self, huawei: HuaweiSigned, rng: random.Random):
        self.huawei, self.rng = huawei, rng
        self.tools: list[str] = []
        self.workflows: list[str] = []
        self.runs: list[str] = []
        self.run_workflow: str | None = None
        self.serial = 0

    def random_request(self) -> _Outcome:
        kinds = (self.list_with_query, self.list_with_query, self.list_with_query, self.odd_path,
                 self.create_tool, self.update_tool, self.delete_tool, self.upload_workflow,
                 self.delete_workflow, self.launch_run, self.cancel_run)
        self.serial += 1
        return self.rng.choice(kinds)()

    def list_with_query(self) -> _Outcome:
        path = self.rng.choice(LIST_PATHS)
        query = [("name", self._text(AWKWARD))] if self.rng.random() < 0.7 else []
        if self.rng.random() < 0.5:
            query += [("offset", self.rng.randrange(3)), ("limit", self.rng.randint(1, 1000))]
        if self.rng.random() < 0.5:
            query.append((f"zz{self._text(AWKWARD)}", [self._text(AWKWARD) for _ in range(3)]))
        if self.rng.random() < 0.3:
            query.append(("zz_flag", self.rng.random() < 0.5))
        if self.rng.random() < 0.3:
            query.append(("zz-empty", ""))
        return self._send("GET", path, 200, query=query, headers=self._bodyless_headers())

    def odd_path(self) -> _Outcome:
        segment = quote(f"t{self._text(AWKWARD)}", safe="")
        return self._send("GET", f"/v1/tools/{segment}", 404, headers=self._bodyless_headers())

    def create_tool(self) -> _Outcome:
        body = {"name": f"tool-{self.serial}", "version": f"1.{self.rng.randrange(100)}",
                "description": self._text(TEXT)}
        outcome = self._send("POST", "/v1/tools", 201, headers=self._json_headers(),
                             body=self._json(body))
        if outcome.status == 201:
            self.tools.append(json.loads(outcome.body)["id"])
        return outcome

    def update_tool(self) -> _Outcome:
        if not self.tools:
            return self.create_tool()
        body = self._json({"description": self._text(TEXT), "cpu": f"{self.rng.randint(1, 8)}C"})
        return self._send("PUT", f"/v1/tools/{self.rng.choice(self.tools)}", 200,
                          headers=self._json_headers(), body=body)

    def delete_tool(self) -> _Outcome:
        if not self.tools:
            return self.create_tool()
        tool = self.tools.pop(self.rng.randrange(len(self.tools)))
        return self._send("DELETE", f"/v1/tools/{tool}", 204, headers=self._bodyless_headers())

    def upload_workflow(self) -> _Outcome:
        body, content_type = encode_multipart_formdata({
            "resource": (None, json.dumps({"name": f"wf-{self.serial}",
                                           "description": self._text(TEXT)})),
            "archive_content": (f"wf-{self.serial}.yaml", SIMPLE.encode())},
            boundary=f"oracle{self.rng.randrange(10**9)}")
        outcome = self._send("POST", "/v1/workflows", 201, body=body,
                             headers={"Content-Type": content_type, **self._extra_headers()})
        if outcome.status == 201:
            self.workflows.append(json.loads(outcome.body)["id"])
        return outcome

    def delete_workflow(self) -> _Outcome:
        if not self.workflows:
            return self.upload_workflow()
        workflow = self.workflows.pop(self.rng.randrange(len(self.workflows)))
        query = [("del_workflow_package", self.rng.random() < 0.5)]
        return self._send("DELETE", f"/v1/workflows/{workflow}", 204, query=query,
                          headers=self._bodyless_headers())

    def launch_run(self) -> _Outcome:
        if self.run_workflow is None:
            outcome = self.upload_workflow()
            self.run_workflow = self.workflows.pop() if outcome.status == 201 else None
            return outcome
        body = {"name": f"run-{self.serial}", "workflow_id": self.run_workflow,
                "sfs_pvc_name": "gene-sfs", "namespace": "gene",
                "inputs_json": {"sample": self._text("abcdef0123456789")}}
        outcome = self._send("POST", "/v1/executions", 201, headers=self._json_headers(),
                             body=self._json(body))
        if outcome.status == 201:
            self.runs.append(json.loads(outcome.body)["id"])
        return outcome

    def cancel_run(self) -> _Outcome:
        if not self.runs:
            return self.launch_run()
        run = self.runs.pop(self.rng.randrange(len(self.runs)))  # Pending: the clock never moves
        return self._send("PUT", f"/v1/executions/{run}", 200, headers=self._json_headers(),
                          body=self._json({"action": "cancel"}))

    def _send(self, method: str, path: str, expected: int, **kwargs) -> _Outcome:
        skew_s = self.rng.randint(-14 * 60, 14 * 60)
        response = self.huawei.send(method, path, skew_s=skew_s, **kwargs)
        return _Outcome(f"{method} {response.request.url}", response.status_code, expected,
                        response.text)

    def _json_headers(self) -> dict:
        return {"Content-Type": self.rng.choice(JSON_TYPES), **self._extra_headers()}

    def _bodyless_headers(self) -> dict:
        content_type = self.rng.choice(BODYLESS_TYPES)
        return {**({"Content-Type": content_type} if content_type else {}), **self._extra_headers()}

    def _extra_headers(self) -> dict:
        """Sometimes a signed header of any text, sometimes one the signer leaves unsigned (``_``)."""
        extra = {}
        if self.rng.random() < 0.3:
            extra["X-Gcs-Trace"] = f" {self._text(TEXT)} "
        if self.rng.random() < 0.2:
            extra["X_Not_Signed"] = self._text("abc123")
        return extra

    def _json(self, value: dict) -> bytes:
        return json.dumps(value, ensure_ascii=self.rng.random() < 0.5).encode("utf-8")

    def _text(self, alphabet: str) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 16)))
