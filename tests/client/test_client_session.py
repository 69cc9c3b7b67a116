"""GcsSession over real loopback HTTP: retry rules, rate limits, errors, TokenAuth, redaction."""

from __future__ import annotations

import logging
import random
import threading

import pytest
import requests

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession, parse_retry_after, path_template
from gcsapply.clock import ManualClock
from gcsapply.emulator import sigv
from gcsapply.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    Interrupted,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)

AK, SK, PROJECT = "AKSESSION000000000000", "SKsession-secret-value-0000000000000001", "p" * 32


def _session(server, **kwargs):
    kwargs.setdefault("clock", ManualClock())
    kwargs.setdefault("rng", random.Random(0))
    return GcsSession(server.url, kwargs.pop("auth", AkSkAuth(AK, SK, PROJECT, clock=kwargs["clock"])), **kwargs)


def test_a_get_answered_503_is_retried_after_the_retry_after_delay_on_the_clock(scripted_server):
    scripted_server.answer((503, {"error_code": "X", "error_msg": "busy"}, {"Retry-After": "7"}), (200, {"ok": 1}))
    session = _session(scripted_server)
    start = session.clock.now()
    response = session.request("GET", "/v1/executions")
    assert response.json() == {"ok": 1}
    assert len(scripted_server.requests) == 2
    assert session.clock.now() - start == pytest.approx(7)
    assert session.calls["GET /v1/executions"] == 2


def test_a_get_whose_connection_drops_is_retried_with_jittered_backoff(scripted_server):
    scripted_server.answer(scripted_server.DROP, scripted_server.DROP, (200, {"ok": 1}))
    session = _session(scripted_server, backoff_base_s=1.0)
    start = session.clock.now()
    assert session.request("GET", "/v1/tools").json() == {"ok": 1}
    waited = session.clock.now() - start
    assert 0.5 + 1.0 <= waited <= 1.0 + 2.0  # attempt 0: [0.5, 1], attempt 1: [1, 2]


def test_a_get_that_keeps_failing_gives_up_after_max_retries_with_a_server_error(scripted_server):
    scripted_server.answer((500, {"error_code": "GCS.5000001", "error_msg": "boom", "request_id": "r1"}))
    session = _session(scripted_server, max_retries=3)
    with pytest.raises(ServerError) as caught:
        session.request("GET", "/v1/workflows/abc")
    assert len(scripted_server.requests) == 4
    assert caught.value.error_code == "GCS.5000001"
    assert caught.value.request_id == "r1"
    assert caught.value.operation == "GET /v1/workflows/abc"


def test_a_post_answered_500_is_never_retried(scripted_server):
    scripted_server.answer((500, {"error_code": "GCS.5000001", "error_msg": "boom"}))
    session = _session(scripted_server)
    with pytest.raises(ServerError):
        session.request("POST", "/v1/executions", json={"name": "x"})
    assert len(scripted_server.requests) == 1


def test_a_post_whose_connection_drops_raises_transport_error_without_a_retry(scripted_server):
    scripted_server.answer(scripted_server.DROP, (201, {"id": "never"}))
    session = _session(scripted_server)
    with pytest.raises(TransportError) as caught:
        session.request("POST", "/v1/executions", json={"name": "x"})
    assert len(scripted_server.requests) == 1
    assert "outcome is unknown" in caught.value.hint


def test_the_template_validate_post_changes_nothing_so_it_is_retried_like_a_read(scripted_server):
    scripted_server.answer(scripted_server.DROP, (503, {"error_code": "X", "error_msg": "busy"}),
                           (200, {"valid": True, "errors": []}))
    api = GcsApi(_session(scripted_server))
    assert api.validate_workflow({"version": "genecontainer_0_1"}) == {"valid": True, "errors": []}
    assert len(scripted_server.requests) == 3


def test_put_and_delete_are_not_retried_on_5xx_either(scripted_server):
    scripted_server.answer((502, "bad gateway"))
    session = _session(scripted_server)
    for method in ("PUT", "DELETE"):
        with pytest.raises(ServerError):
            session.request(method, "/v1/executions/abc")
    assert len(scripted_server.requests) == 2


def test_a_post_answered_429_is_retried_because_nothing_was_done(scripted_server):
    scripted_server.answer((429, {"error_code": "APIGW.0308", "error_msg": "throttled"}, {"Retry-After": "2"}),
                           (201, {"id": "e1"}))
    session = _session(scripted_server)
    start = session.clock.now()
    assert session.request("POST", "/v1/executions", json={"name": "x"}).json() == {"id": "e1"}
    assert len(scripted_server.requests) == 2
    assert session.clock.now() - start == pytest.approx(2)
    assert scripted_server.requests[0].body == scripted_server.requests[1].body == b'{"name":"x"}'


def test_429_after_all_retries_raises_rate_limited_with_retry_after(scripted_server):
    scripted_server.answer((429, {"error_code": "APIGW.0308", "error_msg": "throttled"}, {"Retry-After": "3"}))
    session = _session(scripted_server, max_retries=1)
    with pytest.raises(RateLimitedError) as caught:
        session.request("DELETE", "/v1/executions/abc")
    assert caught.value.retry_after == 3
    assert "rateLimit" in caught.value.hint


def test_error_bodies_become_the_matching_api_error_subclass(scripted_server):
    scripted_server.answer((404, {"error_code": "GCS.4004001", "error_msg": "execution not found", "request_id": "rq"}))
    session = _session(scripted_server)
    with pytest.raises(NotFoundError) as caught:
        session.request("GET", "/v1/executions/nope")
    error = caught.value
    assert (error.status, error.error_code, error.error_msg, error.request_id) == (
        404, "GCS.4004001", "execution not found", "rq")
    assert error.render().startswith("error: GET /v1/executions/nope: HTTP 404 GCS.4004001: execution not found")


def test_a_non_json_error_body_still_gives_a_clear_api_error(scripted_server):
    scripted_server.answer((400, "<html>bad thing</html>"))
    session = _session(scripted_server)
    with pytest.raises(BadRequestError) as caught:
        session.request("POST", "/v1/tools", json={})
    assert caught.value.error_code == "HTTP.400"
    assert "non-JSON error body" in caught.value.error_msg and "bad thing" in caught.value.error_msg


def test_requests_are_signed_so_the_server_side_verifier_accepts_them(scripted_server):
    scripted_server.answer((200, {}))
    session = _session(scripted_server)
    session.request("GET", "/v1/workflows", params={"scope": "domain", "name": "gatk wf~1", "x": None})
    session.request("POST", "/v1/workflows", files={"resource": (None, '{"name":"w"}'),
                                                    "archive_content": ("w.yaml", b"version: x\n")})
    now = session.clock.now()
    for recorded in scripted_server.requests:
        path, _, query = recorded.path.partition("?")
        assert sigv.verify(recorded.method, path, query, recorded.headers, recorded.body or b"",
                           {AK: SK}.get, now) == AK
        assert recorded.headers["X-Project-Id"] == PROJECT
    assert scripted_server.requests[0].path == "/v1/workflows?name=gatk%20wf~1&scope=domain"
    assert scripted_server.requests[1].headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"


def test_calls_are_counted_per_operation_with_ids_replaced():
    assert path_template("get", "/v1/executions/e19d3faf-9f04/events") == "GET /v1/executions/{id}/events"
    assert path_template("POST", "/v1/workflows/validate") == "POST /v1/workflows/validate"
    assert path_template("DELETE", "/v1/0e5c5d3b/executions-extend") == "DELETE /v1/{project_id}/executions-extend"
    assert path_template("POST", "/v1/0e5c5d3b/executions-extend/abc/stop") == "POST /v1/{project_id}/executions-extend/{id}/stop"
    assert path_template("GET", "/v1/cromwell/executions/abc/resource-usage") == "GET /v1/cromwell/executions/{id}/resource-usage"


def test_writes_wait_for_tokens_from_their_own_bucket(scripted_server):
    scripted_server.answer((200, {}))
    session = _session(scripted_server, writes_per_minute=20, reads_per_minute=0)
    start = session.clock.now()
    for _ in range(3):
        session.request("PUT", "/v1/executions/a", json={"action": "update"})
    for _ in range(50):
        session.request("GET", "/v1/executions")
    assert session.clock.now() - start == pytest.approx(2 * 60 / 19)


def test_a_set_stop_event_means_nothing_is_sent(scripted_server):
    event = threading.Event()
    event.set()
    session = _session(scripted_server, stop_event=event)
    with pytest.raises(Interrupted):
        session.request("POST", "/v1/executions", json={})
    assert scripted_server.requests == []


def test_tls_verification_is_on_unless_turned_off_explicitly_and_the_pool_fits_64_workers(scripted_server):
    on = _session(scripted_server)
    off = _session(scripted_server, verify=False)
    assert on._http.verify is True and off._http.verify is False
    assert on._http.get_adapter("https://x")._pool_maxsize == 64


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("12", None) == 12
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", 1_767_225_600.0) == 60
    assert parse_retry_after("soon", 0) is None


def _token_reply(token):
    return (201, {"token": {"expires_at": "2026-01-02T00:00:00.000000Z",
                            "project": {"id": "tokproject", "name": "cn-north-4"}}},
            {"X-Subject-Token": token})


def _token_auth(server, clock):
    return TokenAuth(server.url + "/v3/auth/tokens", "alice", "pa55-word", "acme", project_name="cn-north-4",
                     clock=clock)


def test_token_auth_fetches_once_reuses_and_refreshes_once_on_401(scripted_server):
    clock = ManualClock()
    auth = _token_auth(scripted_server, clock)
    scripted_server.answer(_token_reply("tok-1"), (200, {}), (200, {}),
                           (401, {"error_code": "APIGW.0301", "error_msg": "The token must be updated"}),
                           _token_reply("tok-2"), (200, {"again": True}))
    session = _session(scripted_server, auth=auth, clock=clock)
    session.request("GET", "/v1/tools")
    session.request("GET", "/v1/tools")
    assert session.request("GET", "/v1/tools").json() == {"again": True}
    paths = [(r.method, r.path, r.headers.get("X-Auth-Token")) for r in scripted_server.requests]
    assert paths == [("POST", "/v3/auth/tokens", None), ("GET", "/v1/tools", "tok-1"), ("GET", "/v1/tools", "tok-1"),
                     ("GET", "/v1/tools", "tok-1"), ("POST", "/v3/auth/tokens", None), ("GET", "/v1/tools", "tok-2")]
    assert auth.fetches == 2
    assert auth.token_project_id == "tokproject"


def test_token_auth_gives_up_after_one_refresh(scripted_server):
    clock = ManualClock()
    auth = _token_auth(scripted_server, clock)
    denied = (401, {"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"})
    scripted_server.answer(_token_reply("tok-1"), denied, _token_reply("tok-2"), denied, _token_reply("tok-3"))
    session = _session(scripted_server, auth=auth, clock=clock)
    with pytest.raises(AuthError) as caught:
        session.request("GET", "/v1/tools")
    assert caught.value.error_code == "APIGW.0301"
    assert auth.fetches == 2


def test_token_auth_with_a_wrong_password_raises_auth_error_with_iam_details(scripted_server):
    scripted_server.answer((401, {"error": {"code": 401, "message": "The username or password is wrong.",
                                            "title": "Unauthorized"}}))
    auth = _token_auth(scripted_server, ManualClock())
    session = _session(scripted_server, auth=auth, clock=ManualClock())
    with pytest.raises(AuthError) as caught:
        session.request("GET", "/v1/tools")
    assert caught.value.error_msg == "The username or password is wrong."
    assert caught.value.operation == "POST /v3/auth/tokens"
    assert len(scripted_server.requests) == 1


@pytest.mark.parametrize("status,body,code,message", [
    (401, {"error_msg": "Incorrect IAM authentication information"}, "HTTP.401",
     "Incorrect IAM authentication information"),
    (400, {"error_code": "IAM.0102", "error_msg": "bad scope", "request_id": "r1"}, "IAM.0102",
     "bad scope"),
    (502, "<html>bad gateway</html>", "HTTP.502", "non-JSON error body")])
def test_iam_refusals_are_read_like_every_other_error_body(scripted_server, status, body, code, message):
    scripted_server.answer((status, body))
    auth = _token_auth(scripted_server, ManualClock())
    with pytest.raises(ApiError) as caught:
        auth.token()
    assert caught.value.status == status and caught.value.error_code == code
    assert message in caught.value.error_msg


def test_token_auth_refreshes_a_token_shortly_before_it_expires(scripted_server):
    clock = ManualClock()  # 2026-01-01T00:00:00Z; the token expires at 2026-01-02T00:00:00Z
    auth = _token_auth(scripted_server, clock)
    scripted_server.answer(_token_reply("tok-1"), _token_reply("tok-2"))
    assert auth.token() == "tok-1"
    clock.advance(23 * 3600)
    assert auth.token() == "tok-1"
    clock.advance(3600 - 200)
    assert auth.token() == "tok-2"


def test_token_auth_fetches_one_token_for_many_concurrent_callers(scripted_server):
    auth = _token_auth(scripted_server, ManualClock())
    scripted_server.answer(_token_reply("tok-1"), _token_reply("tok-other"))
    results = []
    threads = [threading.Thread(target=lambda: results.append(auth.token())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["tok-1"] * 16
    assert auth.fetches == 1


def test_debug_logs_redact_credentials_tokens_and_secret_body_fields(scripted_server, caplog):
    clock = ManualClock()
    auth = _token_auth(scripted_server, clock)
    scripted_server.answer(_token_reply("tok-secret-1"), (200, {"environments": []}))
    session = _session(scripted_server, auth=auth, clock=clock)
    with caplog.at_level(logging.DEBUG, logger="gcsapply.client"):
        session.request("POST", "/v1/environments", json={"env_name": "e", "ak": "AKVALUE", "sk": "SKVALUE",
                                                           "nested": {"password": "pw"}})
    text = caplog.text
    assert "POST" in text and "<redacted>" in text
    for secret in ("tok-secret-1", "SKVALUE", "AKVALUE", "pa55-word", '"pw"'):
        assert secret not in text
    assert "pa55-word" not in repr(auth) and SK not in repr(AkSkAuth(AK, SK, PROJECT))


def test_akskauth_signed_requests_go_through_a_plain_requests_session_too(scripted_server):
    scripted_server.answer((200, {}))
    requests.get(scripted_server.url + "/v1/tools?scope=public", auth=AkSkAuth(AK, SK, PROJECT), timeout=5)
    recorded = scripted_server.requests[0]
    path, _, query = recorded.path.partition("?")
    assert sigv.verify("GET", path, query, recorded.headers, recorded.body or b"", {AK: SK}.get,
                       sigv.parse_sdk_date(recorded.headers["X-Sdk-Date"])) == AK
