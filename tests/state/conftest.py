"""Fixtures of the remote state tests: a fault proxy in front of the shared moto server, and a
fresh conditional-write probe (its verdict is cached per endpoint and bucket, per process)."""

from __future__ import annotations

import pytest
from s3_proxy import S3Proxy

from gcsapply.state import objects


@pytest.fixture(autouse=True)
def fresh_probe():
    objects._PROBED.clear()
    yield
    objects._PROBED.clear()


@pytest.fixture
def proxy(s3_bucket):
    """An :class:`S3Proxy` in front of the moto server holding ``s3_bucket``."""
    with S3Proxy(s3_bucket[0]) as running:
        yield running


@pytest.fixture
def atomic_s3(s3_bucket):
    """``(proxy, bucket, client)``: ``s3_bucket`` behind a proxy that forwards one request at a time, so that a conditional
    write is atomic as on a real store (moto checks, then writes, without a lock)."""
    with S3Proxy(s3_bucket[0], serialize=True) as running:
        yield running, s3_bucket[1], s3_bucket[2]
