"""Bad input to a stack whose state is in a bucket, through the real CLI: every case exits 1
with a clear message and no traceback, launches nothing in GCS (the embedded emulator) and
leaves the stored state object byte for byte as it was.

Each test first applies the stack (one run) with a good ``spec.state``, then breaks one thing
and adds a second run, and runs ``apply`` again."""

from __future__ import annotations

import sys

import pytest
from apply_harness import Gcs, execution
from remote_harness import KEY, remote_stack, s3_state, stack_yaml, stored

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_SK
from gcsapply.manifest.specs import MIN_LOCK_LEASE_SECONDS

LOCK_KEY = f"{KEY}.lock"


@pytest.fixture
def applied(tmp_path, monkeypatch, capsys, s3_bucket):
    """A stack applied once with its state in ``s3_bucket``: (gcs, url, bucket, client)."""
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    remote_stack(gcs, s3_state(url, bucket))
    assert gcs.apply().code == 0
    assert len(gcs.executions()) == 1
    gcs.write({"run-e2.yaml": execution("e2", "sample-e2")})
    return gcs, url, bucket, client


def refused(gcs, client, bucket, *argv: str) -> str:
    """Run ``argv`` (default: apply); assert it failed cleanly and changed nothing. Its stderr."""
    before = stored(client, bucket)
    result = gcs.run(*argv) if argv else gcs.apply()
    assert result.code == 1, (result.out, result.err)
    assert "Traceback" not in result.out + result.err
    assert stored(client, bucket) == before
    assert stored(client, bucket, LOCK_KEY) is None
    assert len(gcs.executions()) == 1
    return result.err


def state_setting(gcs, state: str) -> None:
    gcs.write({"stack.yaml": stack_yaml(state)})


BAD_SETTINGS = [
    ("{backend: gcs, bucket: BUCKET}",
     "stack.yaml:7:20: error: 'backend' must be local, obs or s3 (got string 'gcs') (at spec.state.backend)"),
    ('{backend: s3, endpoint: "URL"}',
     "stack.yaml:7:10: error: backend s3 needs a bucket: spec.state.bucket is missing (at spec.state)"),
    ("{backend: obs}",
     "stack.yaml:7:10: error: backend obs needs a bucket: spec.state.bucket is missing (at spec.state)"),
    ("{bucket: BUCKET}",
     "stack.yaml:7:19: error: spec.state.bucket is a setting of the obs and s3 backends, and the "
     "backend is local (at spec.state.bucket)"),
    ('{backend: s3, bucket: BUCKET, endpoint: "URL", region: us-east-1, lockLease: 10s}',
     f"error: spec.state.lockLease 10s is shorter than {MIN_LOCK_LEASE_SECONDS:.0f}s (at spec.state.lockLease)"),
    ('{backend: s3, bucket: BUCKET, endpoint: "ftp://127.0.0.1:1"}',
     "error: 'endpoint' must be an https:// URL of the store without path or user info (plain http "
     "only to localhost)"),
]


def test_a_bad_state_setting_is_a_manifest_error_with_its_place(applied):
    gcs, url, bucket, client = applied
    for state, message in BAD_SETTINGS:  # one stack for all: each is refused before any I/O
        state_setting(gcs, state.replace("BUCKET", bucket).replace("URL", url))
        for argv in (("plan", gcs.root), ()):
            err = refused(gcs, client, bucket, *argv)
            assert message in err, (state, err)


def test_backend_obs_without_an_access_key_is_refused_naming_the_bucket(applied, monkeypatch):
    gcs, url, bucket, client = applied
    for name in ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"):
        monkeypatch.delenv(name, raising=False)
    state_setting(gcs, s3_state(url, bucket, backend="obs"))
    err = refused(gcs, client, bucket)
    assert f"error: stack.yaml:7:10: no access key for the state bucket {bucket}" in err
    assert "backend obs signs with HW_ACCESS_KEY and HW_SECRET_KEY" in err


def test_backend_s3_without_aws_credentials_is_refused_naming_the_bucket(applied, monkeypatch, tmp_path):
    gcs, url, bucket, client = applied
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none" / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    err = refused(gcs, client, bucket)
    assert f"error: no credentials for the state bucket {bucket}" in err
    assert "AWS_ACCESS_KEY_ID" in err


def test_a_store_that_denies_access_is_refused_naming_the_bucket_and_endpoint(applied, proxy):
    gcs, url, bucket, client = applied
    proxy.deny = True
    state_setting(gcs, s3_state(proxy.url, bucket))
    err = refused(gcs, client, bucket)
    assert f"in bucket {bucket} at {proxy.url}: access denied, AccessDenied (HTTP 403): Access Denied" in err
    assert proxy.requests() != []


def test_a_missing_bucket_is_refused_naming_it_and_the_endpoint(applied):
    gcs, url, bucket, client = applied
    state_setting(gcs, s3_state(url, "no-such-bucket-here"))
    for argv in (("plan", gcs.root), ()):
        err = refused(gcs, client, bucket, *argv)
        assert f"bucket no-such-bucket-here at {url} does not exist" in err
        assert "create the bucket (with versioning on" in err


@pytest.mark.parametrize("body,message", [
    (b"<html>not a state</html>", "the state object is not valid JSON: Expecting value at line 1"),
    (b'{"format_version": "1.0", "serial": "seven"}',
     "malformed state document: serial must be a whole number from 0 (found 'seven')"),
])
def test_a_stored_object_that_is_not_a_valid_state_is_refused_naming_it(applied, body, message):
    gcs, url, bucket, client = applied
    client.put_object(Bucket=bucket, Key=KEY, Body=body)
    for argv in (("plan", gcs.root), ("state", "list", gcs.root), ()):
        err = refused(gcs, client, bucket, *argv)
        assert f"error: s3://{bucket}/{KEY}: {message}" in err
        assert "gcsapply state push DIR FILE --force" in err


def test_without_boto3_a_remote_backend_names_the_extra_to_install(applied, monkeypatch):
    gcs, url, bucket, client = applied
    monkeypatch.setitem(sys.modules, "boto3", None)
    err = refused(gcs, client, bucket)
    assert "the obs and s3 backends need boto3, which is not installed" in err
    assert "pip install 'gcsapply[obs]'" in err


def test_a_security_token_bound_for_an_untrusted_state_endpoint_is_refused_before_any_request(
        applied, proxy, monkeypatch):
    gcs, url, bucket, client = applied
    monkeypatch.setenv("HW_ACCESS_KEY", EMBEDDED_AK)
    monkeypatch.setenv("HW_SECRET_KEY", EMBEDDED_SK)
    monkeypatch.setenv("HW_SECURITY_TOKEN", "session-token-secret")
    monkeypatch.delenv("GCSAPPLY_TRUSTED_ENDPOINTS", raising=False)
    state_setting(gcs, s3_state(proxy.url, bucket, backend="obs"))
    for argv in (("plan", gcs.root), ()):
        err = refused(gcs, client, bucket, *argv)
        assert f"spec.state.endpoint: will not send HW_SECURITY_TOKEN to {proxy.url[len('http://'):]}" in err
        assert "session-token-secret" not in err
    assert proxy.requests() == []

    monkeypatch.setenv("GCSAPPLY_TRUSTED_ENDPOINTS", proxy.url)  # the operator trusts it: sent
    assert gcs.apply().code == 0
    assert all(h.get("X-Amz-Security-Token") == "session-token-secret" for _, _, h in proxy.requests())
    assert len(gcs.executions()) == 2


def test_an_unreadable_lock_counts_as_held_and_unlock_with_the_id_shown_removes_it(applied):
    gcs, url, bucket, client = applied
    client.put_object(Bucket=bucket, Key=LOCK_KEY, Body=b"{truncated")
    result = gcs.apply()
    assert result.code == 1 and "Traceback" not in result.err
    assert (f"error: s3://{bucket}/{LOCK_KEY}: the state is locked, but the lock object cannot be "
            "read to tell by whom") in result.err
    lock_id = result.err.split("--lock-id ")[1].split("'")[0]
    assert lock_id == client.head_object(Bucket=bucket, Key=LOCK_KEY)["ETag"].strip('"')
    assert len(gcs.executions()) == 1
    assert stored(client, bucket, LOCK_KEY) == b"{truncated"

    unlocked = gcs.run("state", "unlock", gcs.root, "--lock-id", lock_id)
    assert unlocked.code == 0
    assert unlocked.out == ("Released the lock held by an unknown holder (the lock object cannot "
                            f"be read; lock id {lock_id}).\n")
    assert stored(client, bucket, LOCK_KEY) is None
    assert gcs.apply().code == 0
    assert len(gcs.executions()) == 2
