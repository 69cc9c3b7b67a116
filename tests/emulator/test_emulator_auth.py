"""AK/SK verification, IAM tokens, and project scoping."""

from __future__ import annotations

import pytest
import requests
from emulator_helpers import SIMPLE, Gcs, assert_error

from gcsapply.client import signing
from gcsapply.client.auth import AkSkAuth
from gcsapply.clock import ManualClock
from gcsapply.emulator import (
    EMBEDDED_AK,
    EMBEDDED_DOMAIN,
    EMBEDDED_PASSWORD,
    EMBEDDED_PROJECT_ID,
    EMBEDDED_SK,
    EMBEDDED_USER,
)


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["X-Auth-Token"] = self.token
        return request


def token_request(password=EMBEDDED_PASSWORD, project=None):
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": EMBEDDED_USER, "password": password, "domain": {"name": EMBEDDED_DOMAIN}}}},
        "scope": {"project": project or {"name": "cn-north-4"}}}}


def get_token(emulator, **kwargs) -> requests.Response:
    return requests.post(emulator.url + "/v3/auth/tokens", json=token_request(**kwargs), timeout=10)


def test_a_signed_request_with_the_built_in_credentials_is_accepted(gcs):
    assert gcs.get("/v1/environments").status_code == 200


def test_a_bad_signature_gets_401_apigw_0301(emulator):
    gcs = Gcs(emulator, AkSkAuth(EMBEDDED_AK, "not-the-secret", EMBEDDED_PROJECT_ID,
                                 clock=emulator.clock))
    body = assert_error(gcs.get("/v1/executions"), 401, "APIGW.0301")
    assert "signature does not match" in body["error_msg"]


def test_an_unknown_access_key_gets_401_apigw_0301(emulator):
    gcs = Gcs(emulator, AkSkAuth("UNKNOWNAK", EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock))
    assert "unknown access key" in assert_error(gcs.get("/v1/workflows"), 401, "APIGW.0301")["error_msg"]


def test_a_tampered_body_no_longer_matches_its_signature(emulator):
    auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock)
    prepared = requests.Request("POST", emulator.url + "/v1/tools", json={"name": "a"}).prepare()
    auth(prepared)
    prepared.body = prepared.body.replace(b"\"a\"", b"\"b\"")  # same length
    response = requests.Session().send(prepared, timeout=10)
    assert_error(response, 401, "APIGW.0301")


def test_an_x_sdk_date_20_minutes_old_gets_401_apigw_0303(emulator):
    old = ManualClock(emulator.clock.now() - 20 * 60)
    gcs = Gcs(emulator, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=old))
    body = assert_error(gcs.get("/v1/executions"), 401, "APIGW.0303")
    assert "15 minutes" in body["error_msg"]


@pytest.mark.parametrize("offset_s,status", [(-20 * 60, 401), (20 * 60, 401), (-15 * 60 + 1, 200),
                                             (15 * 60 - 1, 200), (15 * 60 + 1, 401)])
def test_the_x_sdk_date_window_is_15_minutes_in_both_directions(emulator, offset_s, status):
    skewed = ManualClock(emulator.clock.now() + offset_s)
    gcs = Gcs(emulator, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=skewed))
    response = gcs.get("/v1/tools")
    if status == 401:
        assert_error(response, 401, "APIGW.0303")
    else:
        assert response.status_code == 200, response.text


def test_a_missing_or_malformed_x_sdk_date_gets_401_apigw_0303(emulator):
    header = "SDK-HMAC-SHA256 Access=X, SignedHeaders=host;x-sdk-date, Signature=00"
    missing = requests.get(emulator.url + "/v1/tools", headers={"Authorization": header}, timeout=10)
    assert_error(missing, 401, "APIGW.0303")
    bad = requests.get(emulator.url + "/v1/tools", timeout=10,
                       headers={"Authorization": header, "X-Sdk-Date": "2026-01-01"})
    assert_error(bad, 401, "APIGW.0303")


def test_a_request_without_credentials_gets_401(emulator):
    assert_error(requests.get(emulator.url + "/v1/executions", timeout=10), 401, "APIGW.0301")


def test_ak_sk_without_a_project_id_is_refused(emulator):
    gcs = Gcs(emulator, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, None, clock=emulator.clock))
    assert "X-Project-Id" in assert_error(gcs.get("/v1/executions"), 401, "APIGW.0301")["error_msg"]


def test_the_iam_password_flow_issues_a_token_in_the_subject_header(emulator):
    response = get_token(emulator)
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    body = response.json()["token"]
    assert token and token not in response.text
    assert body["project"]["id"] == EMBEDDED_PROJECT_ID
    assert body["project"]["name"] == "cn-north-4"
    assert body["expires_at"].startswith("2026-01-02T00:00:00")  # 24 h on the emulator clock
    assert emulator.stats() == {"POST /v3/auth/tokens": 1}


def test_a_wrong_password_gets_401_with_a_huawei_body(emulator):
    response = get_token(emulator, password="wrong")
    assert "X-Subject-Token" not in response.headers
    assert_error(response, 401, "IAM.0101")


def test_the_token_works_on_every_api_call(emulator):
    gcs = Gcs(emulator, TokenAuth(get_token(emulator).headers["X-Subject-Token"]))
    assert gcs.get("/v1/environments").status_code == 200
    workflow = gcs.workflow("hello", SIMPLE)
    run = gcs.launch(workflow, "hello-1")
    assert gcs.execution(run)["execution"]["project_id"] == EMBEDDED_PROJECT_ID
    assert gcs.put(f"/v1/executions/{run}", json={"action": "cancel"}).status_code == 200
    assert gcs.delete(f"/v1/executions/{run}").status_code == 204


def test_an_unknown_or_expired_token_gets_401_apigw_0307(emulator):
    assert_error(Gcs(emulator, TokenAuth("MIIbogus")).get("/v1/tools"), 401, "APIGW.0307")
    gcs = Gcs(emulator, TokenAuth(get_token(emulator).headers["X-Subject-Token"]))
    emulator.clock.advance(24 * 3600 + 1)
    assert_error(gcs.get("/v1/tools"), 401, "APIGW.0307")


def test_resources_are_scoped_by_project(emulator, gcs):
    run = gcs.launch(gcs.workflow("hello", SIMPLE), "hello-1")
    other_token = get_token(emulator, project={"name": "cn-east-2"}).headers["X-Subject-Token"]
    other = Gcs(emulator, TokenAuth(other_token))
    assert other.get("/v1/executions").json() == {"executions": [], "total_num": 0}
    assert_error(other.get(f"/v1/executions/{run}"), 404, "GCS.4040003")
    assert other.launch(other.workflow("hello", SIMPLE), "hello-1")  # names are per project
    by_id = Gcs(emulator, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, "f" * 32, clock=emulator.clock))
    assert [e["name"] for e in by_id.get("/v1/environments").json()["environments"]] == [
        "default-cci", "default-cce", "cromwell-env"]


def test_a_signature_with_non_ascii_characters_gets_401_not_500(emulator):
    date = signing.format_sdk_date(emulator.clock.now())
    header = f"SDK-HMAC-SHA256 Access={EMBEDDED_AK}, SignedHeaders=host;x-sdk-date, Signature=éé"
    response = requests.get(emulator.url + "/v1/tools", timeout=10, headers={
        "X-Sdk-Date": date, "X-Project-Id": EMBEDDED_PROJECT_ID,
        "Authorization": header.encode("latin-1")})
    assert "signature does not match" in assert_error(response, 401, "APIGW.0301")["error_msg"]


def test_a_non_ascii_password_is_simply_wrong(emulator):
    assert_error(get_token(emulator, password="pässwörd-中文"), 401, "IAM.0101")


@pytest.mark.parametrize("change", [
    lambda b: b["auth"]["identity"]["password"]["user"].update(domain="acme"),
    lambda b: b["auth"]["identity"]["password"]["user"].update(password=["x"]),
    lambda b: b["auth"]["identity"]["password"].update(user="alice"),
    lambda b: b["auth"]["identity"].update(methods="token"),
    lambda b: b["auth"].update(identity=[]),
    lambda b: b["auth"].update(scope="cn-north-4"),
    lambda b: b["auth"]["scope"].update(project=["cn-north-4"]),
    lambda b: b.update(auth=None),
])
def test_a_token_request_of_the_wrong_shape_gets_400_with_a_huawei_body(emulator, change):
    body = token_request()
    change(body)
    response = requests.post(emulator.url + "/v3/auth/tokens", json=body, timeout=10)
    assert_error(response, 400, "IAM.0102")
