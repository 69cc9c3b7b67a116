"""Who is calling: an IAM token (``X-Auth-Token``, issued by ``POST /v3/auth/tokens`` on the same
server) or an AK/SK signature, checked by the emulator's own verifier (:mod:`sigv`)."""

from __future__ import annotations

from gcsapply.emulator import sigv
from gcsapply.emulator.backend import iam
from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import BadSignature
from gcsapply.emulator.wire import Request


def authenticate(app: Emulator, req: Request) -> tuple[str, str]:
    """``(project_id, principal)`` of an API request, or an APIGW 401 saying what is wrong."""
    token = req.header("x-auth-token")
    if token:
        return iam.token_identity(app, token)
    if not req.header("authorization"):
        raise BadSignature("the request carries neither X-Auth-Token nor an AK/SK signature")
    access = sigv.verify(req.method, req.path, req.raw_query, req.headers, req.body,
                         lambda ak: _secret_for(app, ak), app.clock.now())
    project_id = req.header("x-project-id")
    if not project_id:
        raise BadSignature("X-Project-Id is required with AK/SK authentication")
    return project_id, access


def _secret_for(app: Emulator, access: str) -> str | None:
    return app.credentials.sk if access == app.credentials.ak else None
