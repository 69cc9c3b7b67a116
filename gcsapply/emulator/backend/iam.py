"""IAM tokens: the password flow of ``POST /v3/auth/tokens`` on the same server, and the look-up
of an ``X-Auth-Token``. Tokens are stored as SHA-256 digests only, so they survive restarts
without being on disk.
"""

from __future__ import annotations

import hashlib
import secrets

from gcsapply.emulator.backend.state import Emulator
from gcsapply.emulator.errors import BadTokenRequest, TokenInvalid, WrongPassword
from gcsapply.emulator.wire import iso

TOKEN_LIFETIME_S = 24 * 3600.0


def issue_token(app: Emulator, body: dict) -> tuple[str, dict]:
    """The IAM password flow: ``(token, response body)``; WrongPassword on bad credentials."""
    identity = _field(body, "auth", "identity")
    user = _field(identity, "password", "user")
    name, password = user.get("name"), user.get("password")
    domain = _field(user, "domain").get("name")
    if not all(isinstance(v, str) for v in (name, password, domain)):
        raise BadTokenRequest("auth.identity.password.user needs the strings name, password "
                              "and domain.name")
    methods = identity.get("methods")
    if not isinstance(methods, list) or "password" not in methods:
        raise BadTokenRequest("auth.identity.methods must include \"password\"")
    creds = app.credentials
    if (name != creds.user or domain != creds.domain
            or not secrets.compare_digest(password.encode(), creds.password.encode())):
        raise WrongPassword()
    project = _field(body, "auth", "scope", "project", required=False)
    if project.get("id"):
        project_id = str(project["id"])
        project_name = creds.project_name if project_id == creds.project_id else project_id
    elif project.get("name"):
        project_name = str(project["name"])
        project_id = creds.project_id_for(project_name)
    else:
        raise BadTokenRequest("GCS needs a project-scoped token: give auth.scope.project")
    now = app.clock.now()
    token = "MII" + secrets.token_urlsafe(96)
    app.store.insert("tokens", {"digest": _digest(token), "user": name, "domain": domain,
                                "project_id": project_id, "project_name": project_name,
                                "issued_at": now, "expires_at": now + TOKEN_LIFETIME_S})
    domain_ref = {"id": creds.domain_id, "name": domain}
    return token, {"token": {
        "methods": ["password"], "expires_at": _iso_ms(now + TOKEN_LIFETIME_S),
        "issued_at": _iso_ms(now), "catalog": [],
        "project": {"id": project_id, "name": project_name, "domain": domain_ref},
        "user": {"id": hashlib.sha256(name.encode()).hexdigest()[:32], "name": name,
                 "domain": domain_ref, "password_expires_at": ""},
        "roles": [{"id": "0", "name": "te_admin"}, {"id": "1", "name": "op_gated_gcs"}],
    }}


def token_identity(app: Emulator, token: str) -> tuple[str, str]:
    """``(project_id, user)`` of a live token; TokenInvalid when unknown or expired."""
    row = app.store.row("SELECT * FROM tokens WHERE digest = ?", (_digest(token),))
    if row is None or row["expires_at"] <= app.clock.now():
        raise TokenInvalid("the X-Auth-Token is unknown or expired")
    return row["project_id"], row["user"]


def _field(value, *path: str, required: bool = True) -> dict:
    """The object at ``path`` in a token request; BadTokenRequest when a step is no object."""
    for depth, key in enumerate(path):
        value = value.get(key) if isinstance(value, dict) else None
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise BadTokenRequest(f"{'.'.join(path[:depth + 1])} must be an object")
    return value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso_ms(ts: float) -> str:
    return iso(ts).replace("Z", ".000000Z")
