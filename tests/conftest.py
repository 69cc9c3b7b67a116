"""Shared fixtures. ``emulator``: a GCS emulator on a loopback port with a ManualClock, its
database in tmp_path and the built-in credentials. ``emulator_api``: a GcsApi signed with AK/SK
against it (same clock, rate limits off).

Property tests are derandomised: the ``ci`` Hypothesis profile (the default) draws the same
examples on every run, so a red CI is reproducible; ``HYPOTHESIS_PROFILE=explore`` searches
afresh on a developer's machine.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(tmp_path, emulator_clock):
    """A started EmulatorServer; advance ``emulator.clock`` to make runs progress."""
    server = EmulatorServer(tmp_path / "emulator.sqlite", clock=emulator_clock).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulator_api(emulator):
    """``GcsApi`` over ``GcsSession`` + ``AkSkAuth`` with the built-in credentials."""
    auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock)
    session = GcsSession(emulator.url, auth, reads_per_minute=0, writes_per_minute=0,
                         clock=emulator.clock, max_retries=0)
    yield GcsApi(session)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-protocol server: moto's server mode (``ThreadedMotoServer``) on 127.0.0.1,
    port 0, for the remote state backends. It honours ``If-None-Match`` and ``If-Match``.
    moto is imported only by the tests that use it."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch):
    """A fresh bucket on :func:`s3_server`, and the AWS variables that reach it (any key will
    do: moto does not check signatures). Returns ``(endpoint URL, bucket name, boto3 client)``."""
    import uuid

    import boto3

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"state-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    return s3_server, bucket, client
