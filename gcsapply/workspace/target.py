"""The stack's GCS target: endpoint, project and credentials resolved, a session opened.

:func:`open_target` resolves them (:mod:`gcsapply.config`) and opens a :class:`Target`; for
``endpoint: embedded`` it starts the emulator with its database in ``.gcsapply/``. A password,
an IAM token or a security token is refused for a host that is not trusted (DESIGN §7b) before
anything is sent. :func:`work_dir` makes ``.gcsapply/`` with its own ``.gitignore``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession
from gcsapply.config import (
    EMBEDDED,
    EMULATOR_DB,
    Credentials,
    Endpoint,
    check_trusted_target,
    endpoint_where,
    resolve_credentials,
    resolve_endpoint,
    resolve_project_id,
    resolve_region,
)
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.errors import ConfigError
from gcsapply.manifest.model import StackSpec
from gcsapply.state.file import Binding

EmulatorFactory = Callable[[Path], EmulatorServer]


@dataclass
class Target:
    """An open connection to the stack's GCS. ``close()`` stops an embedded emulator."""

    api: GcsApi
    session: GcsSession
    endpoint: str  # what state is bound to: "embedded" or the URL
    url: str  # where requests go
    project_id: str
    stack_name: str
    description: str  # the "Target: ..." line
    emulator: EmulatorServer | None = None

    @property
    def binding(self) -> Binding:
        return Binding(self.endpoint, self.project_id, self.stack_name)

    def close(self) -> None:
        self.session.close()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_target(stack: StackSpec, *, clock=None, emulator_factory: EmulatorFactory | None = None,
                environ: Mapping[str, str] | None = None, stop_event=None,
                verify: bool = True) -> Target:
    """Resolve endpoint, project and credentials (:mod:`gcsapply.config`) and open a session.

    A password, an IAM token or a security token is refused for a host that is not trusted
    (``config.check_trusted_target``, DESIGN §7b) before anything is sent."""
    environ = os.environ if environ is None else environ
    if stack.endpoint == EMBEDDED:
        return _open_embedded(stack, clock, emulator_factory, stop_event)
    endpoint, credentials = resolve_target(stack, environ)
    project_id = resolve_project_id(stack, environ)
    if credentials.kind == "aksk":
        if not project_id:
            raise ConfigError(
                "AK/SK signing needs a project id", hint="set spec.projectId in the Stack "
                "manifest, or HW_PROJECT_ID (HUAWEICLOUD_SDK_PROJECT_ID)")
        auth = AkSkAuth(credentials.access_key, credentials.secret_key, project_id,
                        credentials.security_token, clock=clock)
        how = f"AK/SK from {credentials.source}"
    else:
        auth = TokenAuth(endpoint.iam_url, credentials.user, credentials.password,
                         credentials.domain, project_name=resolve_region(stack, environ),
                         project_id=project_id, verify=verify, clock=clock)
        if not project_id:
            auth.token()
            project_id = auth.token_project_id
        how = f"IAM token from {credentials.source}"
    session = GcsSession(endpoint.url, auth, reads_per_minute=stack.reads_per_minute,
                         writes_per_minute=stack.writes_per_minute, clock=clock, verify=verify,
                         stop_event=stop_event)
    description = f"Target: {endpoint.shown}, project {project_id}, stack {stack.name} ({how})"
    return Target(GcsApi(session), session, endpoint.url, endpoint.url, project_id, stack.name,
                  description)


def resolve_target(stack: StackSpec,
                   environ: Mapping[str, str]) -> tuple[Endpoint | None, Credentials | None]:
    """The endpoint and credentials of a stack (``(None, None)`` for ``embedded``), refusing
    missing credentials and secrets bound for an untrusted host. Pure: sends and writes nothing."""
    if stack.endpoint == EMBEDDED:
        return None, None
    endpoint = resolve_endpoint(stack, environ)
    credentials = resolve_credentials(environ)
    if credentials is None:
        raise ConfigError(
            f"no credentials for {endpoint.shown}",
            where=endpoint_where(stack),
            hint="set HW_ACCESS_KEY and HW_SECRET_KEY (or HUAWEICLOUD_SDK_AK and "
                 "HUAWEICLOUD_SDK_SK), or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME; "
                 "endpoint: embedded needs none")
    check_trusted_target(stack, endpoint, credentials, environ)
    return endpoint, credentials


def work_dir(stack: StackSpec) -> Path:
    """``.gcsapply/`` beside the Stack manifest (in DIR without one), created with its own
    ``.gitignore`` (``*``)."""
    path = Path(stack.root) / stack.work_dir
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path


def _open_embedded(stack: StackSpec, clock, emulator_factory, stop_event) -> Target:
    db_path = work_dir(stack) / EMULATOR_DB
    factory = emulator_factory or _default_emulator
    emulator = factory(db_path)
    try:
        auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID,
                        clock=clock or emulator.clock)
        session = GcsSession(emulator.url, auth, reads_per_minute=stack.reads_per_minute,
                             writes_per_minute=stack.writes_per_minute, clock=clock,
                             stop_event=stop_event)
    except BaseException:
        emulator.stop()
        raise
    description = (f"Target: embedded emulator ({stack.work_dir}/{EMULATOR_DB}), project "
                   f"{EMBEDDED_PROJECT_ID}, stack {stack.name}")
    return Target(GcsApi(session), session, EMBEDDED, emulator.url, EMBEDDED_PROJECT_ID,
                  stack.name, description, emulator)


def _default_emulator(db_path: Path) -> EmulatorServer:
    return EmulatorServer(db_path).start()
