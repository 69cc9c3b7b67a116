"""Credentials never follow a redirect: not the IAM password, not a token, not a signature.

A redirect is answered by the scripted server with a ``Location`` on another host name
(``localhost`` instead of ``127.0.0.1``, the same server): had the client followed it, the server
would have recorded a second request.
"""

from __future__ import annotations

import pytest

from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.errors import ApiError

PASSWORD = "SENTINEL-PASSWORD-redirect-0001"
AK, SK, PROJECT = "AKREDIRECT0000000000", "SKredirect-secret-value-000000000000001", "p" * 32


def _elsewhere(server) -> str:
    return server.url.replace("127.0.0.1", "localhost") + "/collect"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_token_auth_never_follows_a_redirect_with_the_password(scripted_server, status):
    scripted_server.answer((status, "", {"Location": _elsewhere(scripted_server)}))
    auth = TokenAuth(scripted_server.url + "/v3/auth/tokens", "alice", PASSWORD, "acme",
                     project_name="cn-north-4", clock=ManualClock())
    with pytest.raises(ApiError) as caught:
        auth.token()
    assert [(r.method, r.path) for r in scripted_server.requests] == [("POST", "/v3/auth/tokens")]
    assert caught.value.render() == (
        f"error: POST /v3/auth/tokens: HTTP {status} HTTP.{status}: IAM answered with a redirect; "
        "a password never follows one\n"
        "  hint: point the endpoint at the URL IAM answers on")
    assert PASSWORD not in caught.value.render()


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_session_never_follows_a_redirect_and_says_so(scripted_server, method):
    scripted_server.answer((307, "", {"Location": _elsewhere(scripted_server)}))
    clock = ManualClock()
    session = GcsSession(scripted_server.url, AkSkAuth(AK, SK, PROJECT, "temporary-token", clock=clock),
                         clock=clock, max_retries=0)
    with pytest.raises(ApiError) as caught:
        session.request(method, "/v1/workflows")
    assert [(r.method, r.path) for r in scripted_server.requests] == [(method, "/v1/workflows")]
    assert caught.value.status == 307
    assert caught.value.hint == ("GCS does not redirect, and gcsapply never follows a redirect "
                                 "(credentials stay with the endpoint): check spec.endpoint")


def test_a_redirect_is_still_returned_as_is_by_send_for_the_sdk(scripted_server):
    scripted_server.answer((302, "", {"Location": _elsewhere(scripted_server)}))
    clock = ManualClock()
    session = GcsSession(scripted_server.url, AkSkAuth(AK, SK, PROJECT, clock=clock), clock=clock,
                         max_retries=0)
    response = session.send("GET", "/v1/workflows")
    assert (response.status_code, response.headers["Location"]) == (302, _elsewhere(scripted_server))
    assert len(scripted_server.requests) == 1
