"""A bucket, through the S3 protocol: get, conditional put, conditional delete (boto3).

The few object calls a remote state needs, with boto3's errors turned into gcsapply's: a
missing bucket, a refused credential, an unreachable store and a failed precondition each say
which bucket at which endpoint, never a secret, and never more than an excerpt of what the
store answered (a store is reached over the network: its words are not ours to print whole).

boto3 is the optional extra ``gcsapply[obs]``: it speaks the S3 protocol of OBS, AWS, MinIO and
Ceph, conditional writes (``If-None-Match: *``, ``If-Match``) included. It is imported here
only, and only when a Stack configures a remote backend.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from gcsapply.diagnostics import excerpt
from gcsapply.errors import ConfigError, StateError

EXTRA_HINT = "install the extra: pip install 'gcsapply[obs]' (boto3; it speaks the S3 protocol of OBS and S3)"
MAX_OBJECT_BYTES = 256 * 2**20  # a state of 10,000 runs is a few MB; anything far larger is not ours
_ACCESS_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
                 "ExpiredToken", "AllAccessDisabled", "AccountProblem", "InvalidSecurity"}
_UNSUPPORTED_CODES = {"NotImplemented", "InvalidArgument", "InvalidRequest"}
_PROBED: dict[tuple[str | None, str], bool] = {}  # (endpoint, bucket) -> conditional deletes work
_PROBED_LOCK = threading.Lock()


class PreconditionFailed(Exception):
    """The store refused a conditional write or delete (HTTP 412, or 409 for a racing create)."""


class ConditionalUnsupported(Exception):
    """The store answered a conditional header with 'not implemented' or 'invalid argument'."""


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str


def load_boto3():
    """``boto3``, or a clear error naming the extra that provides it."""
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError as exc:
        raise ConfigError("spec.state: the obs and s3 backends need boto3, which is not installed",
                          hint=EXTRA_HINT) from exc
    return boto3, botocore


class Bucket:
    """One bucket of one store. ``shown`` names it in messages: ``obs://bucket at https://...``."""

    def __init__(self, *, bucket: str, endpoint: str | None, region: str | None, credentials=None,
                 virtual_host: bool = False, connect_timeout: float = 10, read_timeout: float = 30,
                 token_refusal: Exception | None = None):
        boto3, botocore = load_boto3()
        self.bucket = bucket
        self.endpoint = endpoint
        self._errors = botocore.exceptions
        config = botocore.config.Config(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": 3},
            s3={"addressing_style": "virtual" if virtual_host else "path"},
            signature_version="s3v4", user_agent_extra="gcsapply")
        keys = {}
        if credentials is not None:  # obs: HW_ACCESS_KEY/HW_SECRET_KEY; s3: boto3's own chain
            keys = {"aws_access_key_id": credentials.access_key,
                    "aws_secret_access_key": credentials.secret_key,
                    "aws_session_token": credentials.security_token}
        session = boto3.session.Session(**keys)
        found = session.get_credentials() if credentials is None else None
        if credentials is None and found is not None and token_refusal is not None \
                and found.get_frozen_credentials().token:
            raise token_refusal  # a session token from a profile or a role, bound for an untrusted store
        if credentials is None and found is None:
            raise ConfigError(
                f"no credentials for the state bucket {bucket}",
                hint="backend s3 uses the AWS chain: set AWS_ACCESS_KEY_ID and "
                     "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or run with a role); backend obs "
                     "uses HW_ACCESS_KEY and HW_SECRET_KEY")
        try:
            self._client = session.client("s3", endpoint_url=endpoint, region_name=region or None,
                                          config=config)
        except self._errors.NoRegionError as exc:
            raise ConfigError("spec.state: backend s3 needs a region",
                              hint="set spec.state.region, or AWS_REGION") from exc
        self._session, self._config, self._region = session, config, region

    @functools.cached_property
    def _quick(self):
        """The client of heartbeats: one attempt, short timeouts, so a holder cut off from the
        store knows it within seconds, not after minutes of retries (the next beat tries again).
        Made on first use: a plan never beats."""
        _, botocore = load_boto3()
        quick = botocore.config.Config(connect_timeout=3, read_timeout=5,
                                       retries={"mode": "standard", "max_attempts": 1})
        return self._session.client("s3", endpoint_url=self.endpoint, region_name=self._region or None,
                                    config=self._config.merge(quick))

    @property
    def shown(self) -> str:
        return f"bucket {self.bucket} at {self.endpoint or 'AWS S3'}"

    def get(self, key: str, *, limit: int = MAX_OBJECT_BYTES) -> StoredObject | None:
        """The object's bytes and ETag, or None when there is no such object."""
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            size = answer.get("ContentLength") or 0
            if size > limit:
                answer["Body"].close()
                raise StateError(f"{key} in {self.shown} is {size} bytes, more than a gcsapply "
                                 f"state holds ({limit} at most)", hint="spec.state.key names "
                                 "the state object: point it at the stack's own state")
            body = answer["Body"].read(limit + 1)
        except self._errors.ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(exc, f"read {key}") from None
        except self._errors.BotoCoreError as exc:
            raise self._unreachable(exc, f"read {key}") from None
        if len(body) > limit:
            raise StateError(f"{key} in {self.shown} is larger than a gcsapply state "
                             f"({limit} bytes at most)")
        return StoredObject(body, answer.get("ETag", ""))

    def put(self, key: str, body: bytes, *, if_match: str | None = None,
            if_none_match: bool = False, quick: bool = False) -> str:
        """Write ``key``; with ``if_match`` only over that ETag, with ``if_none_match`` only when
        there is no such object (else :class:`PreconditionFailed`). Returns the new ETag.
        ``quick``: one attempt with short timeouts (a heartbeat)."""
        extra = {}
        if if_match is not None:
            extra["IfMatch"] = if_match
        if if_none_match:
            extra["IfNoneMatch"] = "*"
        try:
            client = self._quick if quick else self._client
            answer = client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                       ContentType="application/json", **extra)
        except self._errors.ClientError as exc:
            self._raise_precondition(exc, bool(extra))
            raise self._error(exc, f"write {key}") from None
        except self._errors.BotoCoreError as exc:
            raise self._unreachable(exc, f"write {key}") from None
        return answer.get("ETag", "")

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Delete ``key`` (only over that ETag with ``if_match``); a missing object is fine."""
        extra = {"IfMatch": if_match} if if_match is not None else {}
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key, **extra)
        except self._errors.ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404", "NotFound"):
                return
            self._raise_precondition(exc, bool(extra))
            raise self._error(exc, f"delete {key}") from None
        except self._errors.BotoCoreError as exc:
            raise self._unreachable(exc, f"delete {key}") from None

    def _raise_precondition(self, exc, conditional: bool) -> None:
        code, status = _code(exc), _status(exc)
        if status == 412 or code == "PreconditionFailed":
            raise PreconditionFailed(key_of(exc)) from None
        if conditional and (status == 409 or code == "ConditionalRequestConflict"):
            raise PreconditionFailed(key_of(exc)) from None  # a racing conditional create
        if conditional and (status == 501 or code in _UNSUPPORTED_CODES):
            raise ConditionalUnsupported(code) from None

    def _error(self, exc, doing: str) -> StateError:
        code, status = _code(exc), _status(exc)
        said = excerpt(str(exc.response.get("Error", {}).get("Message") or ""), 120)
        detail = f"{code or 'error'} (HTTP {status}){': ' + said if said else ''}"
        if code == "NoSuchBucket":
            return StateError(f"cannot {doing}: {self.shown} does not exist", hint=(
                "create the bucket (with versioning on, so every state version is kept), or fix "
                "spec.state.bucket and spec.state.endpoint"))
        if code in _ACCESS_CODES or status in (401, 403):
            return StateError(f"cannot {doing} in {self.shown}: access denied, {detail}", hint=(
                "check the credentials (obs: HW_ACCESS_KEY/HW_SECRET_KEY; s3: the AWS chain) and "
                "that they may read the state and lock objects (plan) and write them (apply)"))
        return StateError(f"cannot {doing} in {self.shown}: {detail}",
                          hint="the store refused it, so the object is unchanged; run the command again")

    def _unreachable(self, exc, doing: str) -> StateError:
        # a write may have landed with its answer lost; and GCS may have changed before it
        outcome = "the object is unchanged" if doing.startswith("read") else \
            "the object may or may not have changed; run the command again"
        return StateError(f"cannot {doing} in {self.shown}: the store did not answer "
                          f"({type(exc).__name__})",
                          hint=f"check spec.state.endpoint and the network; {outcome}")


def is_ip_or_localhost(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def key_of(exc) -> str:
    return str(exc.operation_name) if hasattr(exc, "operation_name") else ""


def _code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")


def _status(exc) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def probe_conditional_writes(bucket: Bucket, spec) -> bool:
    """Refuse a store that ignores ``If-None-Match``/``If-Match`` on writes (ConfigError);
    returns whether it also honours ``If-Match`` on deletes. Once per bucket per process."""
    cache_key = (bucket.endpoint, bucket.bucket)
    with _PROBED_LOCK:
        if cache_key in _PROBED:
            return _PROBED[cache_key]
    probe = f"{spec.key}.probe-{uuid.uuid4().hex}"
    wrong = '"00000000000000000000000000000000"'
    ignored = None
    try:
        bucket.put(probe, b"{}", if_none_match=True)
        for what, call in (("If-None-Match: *", lambda: bucket.put(probe, b"{}", if_none_match=True)),
                           ("If-Match", lambda: bucket.put(probe, b"{ }", if_match=wrong))):
            try:
                call()
                ignored = what
                break
            except PreconditionFailed:
                pass
        deletes = not ignored and _deletes_conditionally(bucket, probe, wrong)
    except ConditionalUnsupported:
        ignored, deletes = "conditional writes", False
    finally:
        bucket.delete(probe)
    if ignored:
        raise ConfigError(
            f"{bucket.shown} ignores {ignored} on writes, so two applies could both take the "
            "lock", where=str(spec.source) if spec.source else None,
            hint="keep the state in a store that honours conditional writes (OBS, AWS S3, MinIO, "
                 "Ceph RGW of 2025 or later), or set spec.state.lock: external and make sure "
                 "your CI never runs two applies of this stack at once")
    with _PROBED_LOCK:
        _PROBED[cache_key] = deletes
    return deletes


def _deletes_conditionally(bucket: Bucket, key: str, wrong: str) -> bool:
    try:
        bucket.delete(key, if_match=wrong)
    except PreconditionFailed:
        return True
    except ConditionalUnsupported:
        return False  # release and unlock then look before they delete
    return False
