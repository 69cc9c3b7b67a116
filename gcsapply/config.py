"""Where a stack's commands talk to, and with which credentials (DESIGN §6).

* endpoint: ``embedded`` (the default: the emulator in-process, database under
  ``<stack>/.gcsapply/``), ``region`` (``https://gcs.<region>.myhuaweicloud.com``) or a URL.
  Environment variables never choose the CLI's endpoint.
* region: ``spec.region`` > ``HW_REGION_NAME`` > ``cn-north-4``.
* project: ``spec.projectId`` > ``HW_PROJECT_ID`` > ``HUAWEICLOUD_SDK_PROJECT_ID`` > the token's.
* credentials (never in manifests, flags or output): ``HW_ACCESS_KEY``/``HW_SECRET_KEY``, else
  ``HUAWEICLOUD_SDK_AK``/``HUAWEICLOUD_SDK_SK`` (optional ``HW_SECURITY_TOKEN``); half a pair, or
  two families that disagree, is an error naming the variables, never the values. Else
  ``HW_USER_NAME``/``HW_USER_PASSWORD``/``HW_DOMAIN_NAME`` for an IAM token. ``embedded`` needs
  none and ignores them.

Tests inject the clock and the emulator (``emulator_factory``) here, in Python: there is no
environment variable that redirects the CLI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.errors import ConfigError
from gcsapply.manifest.model import StackSpec
from gcsapply.state.file import Binding

DEFAULT_REGION = "cn-north-4"
WORK_DIR = ".gcsapply"
EMULATOR_DB = "emulator.sqlite"
EMBEDDED = "embedded"

AK_FAMILIES = (("HW_ACCESS_KEY", "HW_SECRET_KEY"), ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"))
TOKEN_VARIABLES = ("HW_USER_NAME", "HW_USER_PASSWORD", "HW_DOMAIN_NAME")
PROJECT_VARIABLES = ("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID")


@dataclass(frozen=True)
class Credentials:
    """What the environment provides. ``repr`` never shows a secret."""

    kind: str  # "aksk" | "password"
    source: str  # the variable names, for messages
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    domain: str | None = None


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

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


EmulatorFactory = Callable[[Path], EmulatorServer]


def open_target(stack: StackSpec, *, clock=None, emulator_factory: EmulatorFactory | None = None,
                environ: Mapping[str, str] | None = None, stop_event=None,
                verify: bool = True) -> Target:
    """Resolve endpoint, project and credentials and open a session (DESIGN §6)."""
    environ = os.environ if environ is None else environ
    if stack.endpoint == EMBEDDED:
        return _open_embedded(stack, clock, emulator_factory, stop_event)
    region = resolve_region(stack, environ)
    if stack.endpoint == "region":
        url = f"https://gcs.{region}.myhuaweicloud.com"
        iam_url = f"https://iam.{region}.myhuaweicloud.com/v3/auth/tokens"
        shown = f"region {region} ({url})"
    elif stack.endpoint.startswith(("https://", "http://")):
        url = stack.endpoint.rstrip("/")
        iam_url = f"{url}/v3/auth/tokens"
        shown = url
    else:
        raise ConfigError(f"unknown endpoint {stack.endpoint!r}",
                          where=str(stack.source) if stack.source else None,
                          hint="spec.endpoint is embedded, region, or an https:// URL")
    credentials = resolve_credentials(environ)
    if credentials is None:
        raise ConfigError(
            f"no credentials for {shown}",
            where=str(stack.source) if stack.source else None,
            hint="set HW_ACCESS_KEY and HW_SECRET_KEY (or HUAWEICLOUD_SDK_AK and "
                 "HUAWEICLOUD_SDK_SK), or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME; "
                 "endpoint: embedded needs none")
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
        auth = TokenAuth(iam_url, credentials.user, credentials.password, credentials.domain,
                         project_name=region, project_id=project_id, verify=verify, clock=clock)
        if not project_id:
            auth.token()
            project_id = auth.token_project_id
        how = f"IAM token from {credentials.source}"
    session = GcsSession(url, auth, reads_per_minute=stack.reads_per_minute,
                         writes_per_minute=stack.writes_per_minute, clock=clock, verify=verify,
                         stop_event=stop_event)
    description = f"Target: {shown}, project {project_id}, stack {stack.name} ({how})"
    return Target(GcsApi(session), session, url, url, project_id, stack.name, description)


def resolve_region(stack: StackSpec, environ: Mapping[str, str]) -> str:
    return stack.region or environ.get("HW_REGION_NAME") or DEFAULT_REGION


def resolve_project_id(stack: StackSpec, environ: Mapping[str, str]) -> str | None:
    if stack.project_id:
        return stack.project_id
    for name in PROJECT_VARIABLES:
        if environ.get(name):
            return environ[name]
    return None


def resolve_credentials(environ: Mapping[str, str]) -> Credentials | None:
    """The credentials of DESIGN §6, or None. Errors name variables, never values."""
    pairs = []
    for ak_name, sk_name in AK_FAMILIES:
        ak, sk = environ.get(ak_name) or None, environ.get(sk_name) or None
        if bool(ak) != bool(sk):
            present, missing = (ak_name, sk_name) if ak else (sk_name, ak_name)
            raise ConfigError(f"{present} is set but {missing} is not",
                              hint=f"set both {ak_name} and {sk_name}, or neither")
        if ak:
            pairs.append((ak_name, sk_name, ak, sk))
    if len(pairs) == 2 and pairs[0][2:] != pairs[1][2:]:
        raise ConfigError(
            f"{pairs[0][0]}/{pairs[0][1]} and {pairs[1][0]}/{pairs[1][1]} disagree",
            hint="unset one family; gcsapply will not guess which key is meant")
    if pairs:
        ak_name, sk_name, ak, sk = pairs[0]
        return Credentials("aksk", f"{ak_name}/{sk_name}", access_key=ak, secret_key=sk,
                           security_token=environ.get("HW_SECURITY_TOKEN") or None)
    values = {name: environ.get(name) or None for name in TOKEN_VARIABLES}
    if any(values.values()):
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ConfigError(f"token authentication needs {', '.join(missing)} as well",
                              hint="set HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME "
                                   "together (or use HW_ACCESS_KEY/HW_SECRET_KEY)")
        return Credentials("password", "/".join(TOKEN_VARIABLES),
                           user=values["HW_USER_NAME"], password=values["HW_USER_PASSWORD"],
                           domain=values["HW_DOMAIN_NAME"])
    return None


def work_dir(stack: StackSpec) -> Path:
    """``<stack>/.gcsapply/``, created with its own ``.gitignore`` (``*``)."""
    path = Path(stack.root) / WORK_DIR
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path


def state_path(stack: StackSpec) -> Path:
    return Path(stack.root) / stack.state_path


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
    description = (f"Target: embedded emulator ({WORK_DIR}/{EMULATOR_DB}), project "
                   f"{EMBEDDED_PROJECT_ID}, stack {stack.name}")
    return Target(GcsApi(session), session, EMBEDDED, emulator.url, EMBEDDED_PROJECT_ID,
                  stack.name, description, emulator)


def _default_emulator(db_path: Path) -> EmulatorServer:
    return EmulatorServer(db_path).start()
