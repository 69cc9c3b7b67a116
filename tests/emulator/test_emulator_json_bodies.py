"""Every malformed JSON text gets a 400 naming what is wrong, never a 500, on every route that
reads a JSON body (the API, IAM and the control API) and in every multipart part that holds JSON:
lone surrogates (SQLite cannot store them), bytes that are not UTF-8, NaN and Infinity, numbers
beyond a double or beyond 64 bits, nesting deeper than 64 levels."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import SIMPLE, assert_error

from gcsapply.emulator import EMBEDDED_PROJECT_ID
from gcsapply.emulator.errors import BadBody, BadField
from gcsapply.emulator.routes import ROUTES
from gcsapply.emulator.wire import decode_json

JSON = {"Content-Type": "application/json"}
BAD_BODY, BAD_FIELD = "Request body invalid: ", "Field value invalid: "
SURROGATE = "holds a lone surrogate (U+D800-U+DFFF), which UTF-8 cannot carry"
NOT_FINITE = "is not a finite number (NaN, Infinity or beyond 1.8e308)"
MALFORMED = [
    (b'{"name": "\\ud800"}', "GCS.4003109", f"{BAD_FIELD}name {SURROGATE}"),
    (b'{"name": "ok", "label": {"k": "a\\udfffb"}}', "GCS.4003109", f"{BAD_FIELD}label.k {SURROGATE}"),
    (b'{"label": {"\\udc80": "v"}}', "GCS.4003109",
     f'{BAD_FIELD}label["\\udc80"] is a key holding a lone surrogate (U+D800-U+DFFF)'),
    (b'{"name": "\xed\xa0\x80"}', "GCS.4003015", f"{BAD_BODY}the body is not UTF-8 (byte 0xed at offset 10)"),
    (b'{"name": "\xff"}', "GCS.4003015", f"{BAD_BODY}the body is not UTF-8 (byte 0xff at offset 10)"),
    (b'{"priority": NaN}', "GCS.4003109", f"{BAD_FIELD}priority {NOT_FINITE}"),
    (b'{"x": [1, -Infinity]}', "GCS.4003109", f"{BAD_FIELD}x[1] {NOT_FINITE}"),
    (b'{"x": {"y z": 1e400}}', "GCS.4003109", f'{BAD_FIELD}x["y z"] {NOT_FINITE}'),
    (b'{"x": -9223372036854775808}', "GCS.4003109",
     f"{BAD_FIELD}x is an integer beyond 64 bits (at most 9223372036854775807 either way)"),
    (b'{"x": 1' + b"0" * 5000 + b"}", "GCS.4003015",
     f"{BAD_BODY}the body is not valid JSON (an integer literal of 5001 characters is beyond 64 bits)"),
    (b'{"x": ' + b"[" * 100 + b"]" * 100 + b"}", "GCS.4003015",
     f"{BAD_BODY}the body nests arrays or objects deeper than 64 levels"),
    (b"[" * 100_000, "GCS.4003015", f"{BAD_BODY}the body nests arrays or objects deeper than 64 levels"),
]
# POST and PUT routes that read no body, or read multipart (tested apart below)
NO_JSON_BODY = {"POST /_emulator/reset", "POST /v1/{project_id}/executions-extend/{execution_id}/stop",
                "POST /v1/{project_id}/executions-extend", "POST /v1/workflows", "PUT /v1/workflows/{workflow_id}"}
# and the one DELETE that reads a JSON body: the Cromwell batch delete
JSON_ROUTES = sorted([r.key for r in ROUTES if r.method in ("POST", "PUT") and r.key not in NO_JSON_BODY]
                     + ["DELETE /v1/{project_id}/executions-extend"])


def test_the_json_routes_are_the_ones_expected():
    assert JSON_ROUTES == [
        "DELETE /v1/{project_id}/executions-extend",
        "POST /_emulator/clock", "POST /_emulator/faults", "POST /_emulator/seed",
        "POST /v1/environments", "POST /v1/executions", "POST /v1/executions_iter",
        "POST /v1/tools", "POST /v1/workflows/validate", "POST /v3/auth/tokens",
        "PUT /_emulator/faults", "PUT /v1/executions/{execution_id}", "PUT /v1/tools/{tool_id}"]


@pytest.fixture
def ids(gcs) -> dict[str, str]:
    """Real ids for the path parameters, so that a route reaches its body."""
    tool = gcs.post("/v1/tools", json={"name": "mytool", "version": "1.0"})
    assert tool.status_code == 201, tool.text
    return {"execution_id": gcs.launch(gcs.workflow("hello", SIMPLE), "run-1"),
            "tool_id": tool.json()["id"], "project_id": EMBEDDED_PROJECT_ID}


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("body,code,message", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_json_body_is_a_400_naming_the_problem_on_every_json_route(
        gcs, ids, route, body, code, message):
    method, template = route.split(" ")
    response = gcs.request(method, template.format(**ids), data=body, headers=JSON)
    assert assert_error(response, 400, code)["error_msg"] == message
    assert gcs.get("/v1/tools").status_code == 200  # still serving


def test_a_lone_surrogate_in_a_workflow_name_is_refused_and_nothing_is_created(gcs):
    response = gcs.post("/v1/workflows", files={"resource": (None, json.dumps({"name": "\ud800"})),
                                                "archive_content": ("a.yaml", SIMPLE)})
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == f"{BAD_FIELD}name {SURROGATE}"
    assert gcs.get("/v1/workflows").json() == {"workflow": []}


def test_a_resource_part_that_is_not_utf8_is_refused(gcs):
    response = gcs.post("/v1/workflows", files={"resource": (None, b'{"name": "\xed\xa0\x80"}'),
                                                "archive_content": ("a.yaml", SIMPLE)})
    assert assert_error(response, 400, "GCS.4003015")["error_msg"] == (
        f"{BAD_BODY}the 'resource' part is not UTF-8 (byte 0xed at offset 10)")
    assert gcs.get("/v1/workflows").json() == {"workflow": []}


def test_a_lone_surrogate_in_an_update_of_a_workflow_is_refused_and_nothing_changes(gcs):
    workflow = gcs.workflow("hello", SIMPLE)
    response = gcs.upload("hello", SIMPLE, method="PUT", workflow_id=workflow,
                          description="\udfff")
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == (
        f"{BAD_FIELD}description {SURROGATE}")
    assert gcs.get(f"/v1/workflows/{workflow}").json()["description"] == ""


@pytest.mark.parametrize("body,path", [({"name": "run-\ud800"}, "name"),
                                       ({"name": "run-1", "label": {"team": "\ud83d"}}, "label.team"),
                                       ({"name": "run-1", "label": {"\udc00": "x"}}, None),
                                       ({"name": "run-1", "inputs_json": {"sample": "\ud800"}},
                                        "inputs_json.sample")])
def test_a_lone_surrogate_in_an_execution_name_or_label_is_refused_and_nothing_runs(gcs, body, path):
    workflow = gcs.workflow("hello", SIMPLE)
    data = json.dumps({"workflow_id": workflow, "sfs_pvc_name": "s", **body}).encode()
    response = gcs.post("/v1/executions", data=data, headers=JSON)
    expected = (f"{BAD_FIELD}{path} {SURROGATE}" if path else
                f'{BAD_FIELD}label["\\udc00"] is a key holding a lone surrogate (U+D800-U+DFFF)')
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == expected
    assert gcs.get("/v1/executions").json()["total_num"] == 0


@pytest.mark.parametrize("part,content,message", [
    ("parameters", b'{"env_name": "cromwell-env", "x": NaN}', f"{BAD_FIELD}x {NOT_FINITE}"),
    ("workflow_inputs", b'{"w.sample": "\\ud800"}', f'{BAD_FIELD}["w.sample"] {SURROGATE}'),
    ("workflow_options", b'{"o": "\xff"}',
     f"{BAD_BODY}workflow options is not UTF-8 (byte 0xff at offset 7)")])
def test_json_parts_of_a_cromwell_submission_are_read_like_any_json_body(gcs, part, content, message):
    files = {"parameters": (None, b'{"env_name": "cromwell-env"}'),
             "workflow_source": ("hello.wdl", b"workflow hello { call say }"), part: (None, content)}
    response = gcs.post(f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend", files=files)
    assert response.status_code == 400, response.text
    assert response.json()["error_msg"] == message
    assert gcs.get(f"/v1/{EMBEDDED_PROJECT_ID}/executions-extend").json()["total_num"] == 0


def test_nesting_is_read_to_64_levels_and_refused_beyond():
    assert decode_json(b"[" * 64 + b"]" * 64, "the body") is not None
    with pytest.raises(BadBody, match="^the body nests arrays or objects deeper than 64 levels$"):
        decode_json(b"[" * 65 + b"]" * 65, "the body")


def test_integers_are_read_to_64_bits_and_refused_beyond():
    assert decode_json(b"[9223372036854775807, -9223372036854775807]", "x") == [2**63 - 1, 1 - 2**63]
    with pytest.raises(BadField, match=r"^\[0\] is an integer beyond 64 bits"):
        decode_json(b"[9223372036854775808]", "x")


def test_a_utf8_byte_order_mark_is_tolerated_and_utf16_is_not():
    assert decode_json(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', "the body") == {"a": "é"}
    with pytest.raises(BadBody, match="^the body is not UTF-8"):
        decode_json('{"a": 1}'.encode("utf-16"), "the body")
