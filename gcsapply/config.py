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

Everything here is pure: it reads the Stack and a mapping of environment variables and
returns values; opening the connection is :mod:`gcsapply.workspace`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from gcsapply.errors import ConfigError
from gcsapply.manifest.model import StackSpec

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


@dataclass(frozen=True)
class Endpoint:
    """Where a stack's requests go: the GCS URL, the IAM token URL, and how to show it."""

    url: str
    iam_url: str
    shown: str


def region_url(region: str) -> str:
    """The GCS endpoint of a Huawei Cloud region."""
    return f"https://gcs.{region}.myhuaweicloud.com"


def iam_url(*, region: str | None = None, endpoint_url: str | None = None) -> str:
    """The IAM token URL: the region's IAM, or ``<endpoint>/v3/auth/tokens`` for a URL endpoint."""
    if endpoint_url is not None:
        return f"{endpoint_url.rstrip('/')}/v3/auth/tokens"
    return f"https://iam.{region}.myhuaweicloud.com/v3/auth/tokens"


def resolve_endpoint(stack: StackSpec, environ: Mapping[str, str]) -> Endpoint:
    """The endpoint of a non-embedded stack (DESIGN §6): ``region`` or an http(s) URL."""
    region = resolve_region(stack, environ)
    if stack.endpoint == "region":
        url = region_url(region)
        return Endpoint(url, iam_url(region=region), f"region {region} ({url})")
    if stack.endpoint.startswith(("https://", "http://")):
        url = stack.endpoint.rstrip("/")
        return Endpoint(url, iam_url(endpoint_url=url), url)
    raise ConfigError(f"unknown endpoint {stack.endpoint!r}",
                      where=str(stack.source) if stack.source else None,
                      hint="spec.endpoint is embedded, region, or an https:// URL")


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


def state_path(stack: StackSpec) -> Path:
    return Path(stack.root) / stack.state_path
