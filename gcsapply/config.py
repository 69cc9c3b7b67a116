"""Where a stack's commands talk to, and with which credentials (DESIGN §6).

* endpoint: ``embedded`` (the default: the emulator in-process, database in ``.gcsapply/``
  beside the Stack manifest), ``region`` (``https://gcs.<region>.myhuaweicloud.com``) or a URL.
  Environment variables never choose the CLI's endpoint.
* region: ``spec.region`` > ``HW_REGION_NAME`` > ``cn-north-4``.
* project: ``spec.projectId`` > ``HW_PROJECT_ID`` > ``HUAWEICLOUD_SDK_PROJECT_ID`` > the token's.
* credentials (never in manifests, flags or output): ``HW_ACCESS_KEY``/``HW_SECRET_KEY``, else
  ``HUAWEICLOUD_SDK_AK``/``HUAWEICLOUD_SDK_SK`` (optional ``HW_SECURITY_TOKEN``); half a pair, or
  two families that disagree, is an error naming the variables, never the values. Else
  ``HW_USER_NAME``/``HW_USER_PASSWORD``/``HW_DOMAIN_NAME`` for an IAM token. ``embedded`` needs
  none and ignores them.
* trust (DESIGN §7b): a password, an IAM token or a security token goes only to a trusted host:
  ``embedded``; https on port 443 of a Huawei Cloud domain (``*.myhuaweicloud.com``,
  ``*.huaweicloud.com``), except OBS addresses, where anyone can own a bucket; or what the
  operator lists in ``GCSAPPLY_TRUSTED_ENDPOINTS`` (comma-separated; a URL trusts exactly its
  scheme, host and port, so it may be plain http, e.g. a local emulator; a host pattern,
  ``gcs.example.org`` or ``*.example.org``, trusts https on any port of the matching hosts).
  Nothing in a manifest can add to the list. Plain AK/SK may go anywhere: a signature is bound
  to its host and time. Hosts are compared exactly or by suffix at a dot boundary, after a
  strict parse: a URL with a user name, whitespace, non-ASCII or percent-encoded host, or an
  ambiguous numeric host is never trusted (anything a parser could read two ways is refused).

Everything here is pure: it reads the Stack and a mapping of environment variables and
returns values; opening the connection is :mod:`gcsapply.workspace`'s job.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

from gcsapply.errors import ConfigError
from gcsapply.manifest.model import WORK_FOLDER, StackSpec

DEFAULT_REGION = "cn-north-4"
WORK_DIR = WORK_FOLDER  # the default; a stack's own is StackSpec.work_dir (beside its Stack)
EMULATOR_DB = "emulator.sqlite"
EMBEDDED = "embedded"
OBS_URL = "https://obs.{region}.myhuaweicloud.com"  # a region's OBS endpoint (state buckets)

AK_FAMILIES = (("HW_ACCESS_KEY", "HW_SECRET_KEY"), ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"))
TOKEN_VARIABLES = ("HW_USER_NAME", "HW_USER_PASSWORD", "HW_DOMAIN_NAME")
PROJECT_VARIABLES = ("HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID")
TRUST_VARIABLE = "GCSAPPLY_TRUSTED_ENDPOINTS"
HUAWEI_DOMAINS = ("myhuaweicloud.com", "huaweicloud.com")
OBS_LABELS = frozenset({"obs", "obs-website"})  # bucket addresses: anyone can own one
DEFAULT_PORTS = {"http": 80, "https": 443}

_UNSAFE = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")  # whitespace, controls, non-ASCII
_NETLOC = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


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


@dataclass(frozen=True)
class Origin:
    """Where a URL's requests go: scheme, host (lowercase, no trailing dot) and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        """``host`` or ``host:port`` (the port when it is not the scheme's default)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self}"


@dataclass(frozen=True)
class Trust:
    """Whether secrets may go to a URL: the host they would reach, why, and what next."""

    trusted: bool
    host: str
    reason: str
    hint: str = ""


@dataclass(frozen=True)
class TrustRule:
    """One item of ``GCSAPPLY_TRUSTED_ENDPOINTS``: a URL (``origin``: scheme, host and port
    must match) or a host pattern (``host``, or any host under it when ``wildcard``; https only,
    any port)."""

    host: str
    origin: Origin | None = None
    wildcard: bool = False

    def matches(self, origin: Origin) -> bool:
        if self.origin is not None:
            return origin == self.origin
        if origin.scheme != "https":
            return False
        return _under(origin.host, (self.host,)) if self.wildcard else origin.host == self.host


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
    where = endpoint_where(stack)
    if stack.endpoint.startswith(("https://", "http://")):
        try:
            parse_origin(stack.endpoint)
        except ValueError as exc:  # the URL is not echoed: it may hold a user name or password
            raise ConfigError(f"spec.endpoint: the URL {exc}", where=where,
                              hint="write scheme://host[:port][/path] in plain ASCII (punycode "
                                   "for an international name); credentials never go in "
                                   "manifests") from None
        url = stack.endpoint.rstrip("/")
        return Endpoint(url, iam_url(endpoint_url=url), url)
    shown = "<redacted: it holds '@'>" if "@" in stack.endpoint else repr(stack.endpoint)
    raise ConfigError(f"unknown endpoint {shown}", where=where,
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


def check_trusted_target(stack: StackSpec, endpoint: Endpoint, credentials: Credentials,
                         environ: Mapping[str, str]) -> None:
    """Refuse, before a byte is sent, to send a password, an IAM token or a security token to a
    host that is not trusted (DESIGN §7b). The password goes to the IAM URL, the token or the
    security token to the GCS URL; plain AK/SK goes anywhere. Also checks the operator's list."""
    rules = trusted_endpoint_rules(environ)
    if credentials.kind == "password":
        secret, urls = "HW_USER_PASSWORD and the IAM token", (endpoint.iam_url, endpoint.url)
    elif credentials.security_token:
        secret, urls = "HW_SECURITY_TOKEN", (endpoint.url,)
    else:
        return
    for url in urls:
        trust = _trust(url, rules)
        if not trust.trusted:
            raise ConfigError(f"spec.endpoint: will not send {secret} to {trust.host}: "
                              f"{trust.reason}", where=endpoint_where(stack),
                              hint=trust.hint)


def is_trusted_endpoint(url: str, environ: Mapping[str, str]) -> bool:
    """May a password, an IAM token or a security token go to ``url``? (:func:`resolve_trust`)"""
    return resolve_trust(url, environ).trusted


def resolve_trust(url: str, environ: Mapping[str, str]) -> Trust:
    """Whether secrets may go to ``url`` (``embedded`` or an http(s) URL), and why: the rules in
    this module's docstring. A malformed ``GCSAPPLY_TRUSTED_ENDPOINTS`` raises ConfigError."""
    return _trust(url, trusted_endpoint_rules(environ))


def trusted_endpoint_rules(environ: Mapping[str, str]) -> list[TrustRule]:
    """The operator's ``GCSAPPLY_TRUSTED_ENDPOINTS``; a malformed item is an error naming it."""
    items = [item.strip() for item in (environ.get(TRUST_VARIABLE) or "").split(",")]
    return [_rule(number, item) for number, item in enumerate(items, 1) if item]


def parse_origin(url: str) -> Origin:
    """The scheme, host and port requests to ``url`` reach, read strictly: anything a parser
    could read two ways (a user name, whitespace, non-ASCII, percent-encoding, a backslash, an
    ambiguous number) raises ValueError saying what, without echoing the URL."""
    if _UNSAFE.search(url):
        raise ValueError("holds whitespace, control or non-ASCII characters")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not url[len(parts.scheme):].startswith("://"):
        raise ValueError("is not an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("holds a user name or password (user@host)")
    match = _NETLOC.fullmatch(parts.netloc)
    if match is None:
        raise ValueError("has a host that is not a plain name, IPv4 or [IPv6] address")
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[parts.scheme]
    if not 0 < port < 65536:
        raise ValueError("has a port outside 1-65535")
    return Origin(parts.scheme, _normal_host(match["host"]), port)


def state_store_url(stack: StackSpec, environ: Mapping[str, str]) -> str | None:
    """The URL of a remote state's store: ``spec.state.endpoint``; for ``obs`` by default the
    OBS endpoint of the region (``spec.state.region`` > the stack's region); for ``s3`` by
    default None (AWS S3, found by boto3 from the region)."""
    remote = stack.remote_state
    if remote is None or remote.endpoint:
        return remote.endpoint if remote else None
    if remote.backend == "obs":
        return OBS_URL.format(region=remote.region or resolve_region(stack, environ))
    return None


def state_credentials(stack: StackSpec, environ: Mapping[str, str]) -> Credentials | None:
    """What signs a remote state's requests: for ``obs`` the Huawei access key (DESIGN §6;
    an IAM user name and password cannot sign S3 requests); for ``s3`` None: boto3's own chain
    (``AWS_ACCESS_KEY_ID``..., profiles, roles). Refuses a security token bound for a store the
    operator does not trust (DESIGN §7b), before anything is sent."""
    remote = stack.remote_state
    if remote is None:
        return None
    where = str(remote.source) if remote.source else None
    if remote.backend == "s3":
        token = "AWS_SESSION_TOKEN" if environ.get("AWS_SESSION_TOKEN") else None
        credentials = None
    else:
        credentials = resolve_credentials(environ)
        if credentials is None or credentials.kind != "aksk":
            raise ConfigError(
                f"no access key for the state bucket {remote.bucket}", where=where,
                hint="backend obs signs with HW_ACCESS_KEY and HW_SECRET_KEY (or "
                     "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK); a user name and password "
                     "cannot sign OBS requests")
        token = "HW_SECURITY_TOKEN" if credentials.security_token else None
    refusal = state_token_refusal(stack, environ, token or "a session token")
    if token and refusal is not None:
        raise refusal
    return credentials


def state_token_refusal(stack: StackSpec, environ: Mapping[str, str],
                        token: str = "a session token") -> ConfigError | None:
    """The error for a security or session token bound for an untrusted state store (None for
    AWS S3, the region's OBS endpoint, or one in ``GCSAPPLY_TRUSTED_ENDPOINTS``); raised when a
    token turns up, also one boto3's chain finds in a profile or a role."""
    remote = stack.remote_state
    url = state_store_url(stack, environ)
    if remote is None or url is None or url == OBS_URL.format(region=remote.region or resolve_region(stack, environ)):
        return None
    trust = _trust(url, trusted_endpoint_rules(environ))
    if trust.trusted:
        return None
    return ConfigError(f"spec.state.endpoint: will not send {token} to {trust.host}: {trust.reason}",
                       where=str(remote.source) if remote.source else None, hint=trust.hint)


def endpoint_where(stack: StackSpec) -> str | None:
    """``file:line:column`` of the Stack's ``spec.endpoint`` (of the Stack when not written),
    for endpoint, credential and trust errors; None without a Stack manifest."""
    source = stack.endpoint_source or stack.source
    return str(source) if source else None


def _trust(url: str, rules: list[TrustRule]) -> Trust:
    if url == EMBEDDED:
        return Trust(True, EMBEDDED, "the embedded emulator")
    try:
        origin = parse_origin(url)
    except ValueError as exc:
        return Trust(False, "an unreadable host", f"the URL {exc}",
                     "write scheme://host[:port][/path] in plain ASCII")
    host = str(origin)
    if any(rule.matches(origin) for rule in rules):
        return Trust(True, host, f"listed in {TRUST_VARIABLE}")
    listing = (f"a manifest cannot make a host trusted: if this endpoint is yours, list it in "
               f"the environment ({TRUST_VARIABLE}={origin.url}), or sign with HW_ACCESS_KEY/"
               "HW_SECRET_KEY and no HW_SECURITY_TOKEN (a signature is bound to its host)")
    if not _under(origin.host, HUAWEI_DOMAINS):
        return Trust(False, host, f"not a Huawei Cloud domain, and not listed in {TRUST_VARIABLE}",
                     listing)
    if origin.scheme != "https":
        return Trust(False, host, "a Huawei Cloud domain, but over plain http",
                     "use https:// (or endpoint: region): secrets never go over plain http")
    if origin.port != DEFAULT_PORTS["https"]:
        return Trust(False, host, f"a Huawei Cloud domain, but on port {origin.port}, not 443",
                     listing)
    if OBS_LABELS.intersection(origin.host.split(".")):
        return Trust(False, host, "an OBS address, where anyone can own a bucket", listing)
    return Trust(True, host, "a Huawei Cloud domain")


def _rule(number: int, item: str) -> TrustRule:
    shown = f"item {number}" + ("" if "@" in item else f" ({item!r})")
    try:
        if "://" in item:
            origin = parse_origin(item)
            return TrustRule(origin.host, origin=origin)
        if item == "*":
            raise ValueError("would trust every host, so any manifest could collect the secrets")
        wildcard = item.startswith("*.")
        host = _normal_host(item[2:] if wildcard else item)
        if wildcard and (_is_ip(host) or "." not in host):
            raise ValueError("needs a domain of two labels or more after '*.'")
        return TrustRule(host, wildcard=wildcard)
    except ValueError as exc:
        raise ConfigError(f"{TRUST_VARIABLE}: {shown} {exc}",
                          hint="list comma-separated URLs (scheme, host and port must match, "
                               "e.g. http://127.0.0.1:8080) or host patterns (gcs.example.org, "
                               "*.example.org: https on any port)") from None


def _normal_host(text: str) -> str:
    """A host as compared: lowercase, no trailing dot, IPv6 compressed. ValueError if odd."""
    if text.startswith("["):
        try:
            return ipaddress.IPv6Address(text[1:-1] if text.endswith("]") else "?").compressed
        except ValueError:
            raise ValueError("has a malformed [IPv6] address") from None
    host = text.lower()
    host = host[:-1] if host.endswith(".") else host
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("has a malformed host name (ASCII letters, digits, '-' and '.')")
    if labels[-1].isdigit() and not _is_ip(host):
        raise ValueError("has a numeric host that is not a dotted-quad IPv4 address")
    return host


def _is_ip(host: str) -> bool:
    try:
        return str(ipaddress.ip_address(host)) == host
    except ValueError:
        return False


def _under(host: str, domains: tuple[str, ...]) -> bool:
    """Strictly under one of ``domains``, at a dot boundary (``a.example.org``, never
    ``example.org`` itself, ``evilexample.org`` or ``example.org.evil.net``)."""
    return any(host.endswith("." + domain) for domain in domains)
