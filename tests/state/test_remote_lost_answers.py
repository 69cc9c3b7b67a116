"""A remote state and its lock when answers get lost, writers collide, or calls may still land.

Over moto's S3 server, through :class:`s3_proxy.S3Proxy` where an answer must be lost after the
write happened. Clocks are ManualClocks; heartbeats are ``lock.renew()`` calls of the test.
"""

from __future__ import annotations

import json

import pytest
from remote_harness import KEY, T0, backend, bucket_at, lease_lock, s3_state, stack_yaml, stored

from gcsapply.clock import ManualClock
from gcsapply.errors import LockHeldError, StateConflictError, StateError
from gcsapply.state.file import State
from gcsapply.state.lease import SETTLE_SECONDS
from gcsapply.workspace import open_workspace

LOCK_KEY = f"{KEY}.lock"


def test_a_lock_whose_create_answer_was_lost_is_still_taken_by_its_creator(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    proxy.drop_answer_of = f"/{bucket}/{LOCK_KEY}"  # the create lands; its answer never comes
    lock = lease_lock(proxy.url, bucket, bucket_object=bucket_at(proxy.url, bucket))
    mine = lock.acquire()  # boto3 retries, the retry is refused (412), and the lock is ours
    assert proxy.dropped == 1 and lock.held
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == mine.id
    lock.release()
    assert stored(client, bucket, LOCK_KEY) is None


def test_a_heartbeat_whose_answer_was_lost_keeps_the_lock(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    lost = []
    lock = lease_lock(proxy.url, bucket, bucket_object=bucket_at(proxy.url, bucket),
                      on_lost=lost.append)
    mine = lock.acquire()
    proxy.drop_answer_of = f"/{bucket}/{LOCK_KEY}"
    lock.clock.advance(5)
    assert lock.renew() is True  # no answer: the renewal may or may not have landed
    assert proxy.dropped == 1
    lock.clock.advance(5)
    assert lock.renew() is True  # refused (it had landed): the stored lock is ours, adopted
    assert lock.lost is None and lost == []
    assert json.loads(stored(client, bucket, LOCK_KEY))["heartbeat_at"] == T0 + 10
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == mine.id
    lock.release()
    assert stored(client, bucket, LOCK_KEY) is None


def test_a_holder_cut_off_from_the_store_stops_a_settle_time_before_its_lease_ends(s3_bucket, proxy):
    url, bucket, _ = s3_bucket
    lost = []
    lock = lease_lock(proxy.url, bucket, bucket_object=bucket_at(proxy.url, bucket),
                      on_lost=lost.append, lease=300.0)
    lock.acquire()
    proxy.drop_request = lambda method, path: method == "PUT"
    lock.clock.advance(300 - SETTLE_SECONDS - 1)
    assert lock.renew() is True and lost == []  # still time for a call sent now to land
    lock.clock.advance(2)
    assert lock.renew() is False
    assert lost and "could not be renewed" in lost[0]


def test_a_state_object_moved_by_another_writer_stops_this_one(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    stops = []
    mine = backend(tmp_path, url, bucket)
    lock = mine.lock("gcsapply apply .", unlock_hint_dir=".", on_lost=stops.append)
    lock.acquire()
    try:
        mine.write(State.new(binding=None))
        other = backend(tmp_path, url, bucket)
        moved = other.read()
        moved.serial += 5
        other.write(moved)  # a second writer (lock: external in CI gone wrong, say)
        with pytest.raises(StateConflictError, match="changed since this command read it"):
            mine.write(mine.read())
        assert mine.lost and stops == [mine.lost]
        with pytest.raises(StateError, match="not writing the state"):
            mine.write(mine.read())
        assert json.loads(stored(client, bucket))["serial"] == moved.serial
    finally:
        lock.release()


def test_an_unconfirmed_state_write_that_landed_is_built_on_not_called_a_conflict(
        tmp_path, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    mine = backend(tmp_path, proxy.url, bucket, bucket_object=bucket_at(proxy.url, bucket))
    first = State.new(binding=None)
    mine.write(first)
    second = first.copy()
    second.serial = 1
    path = f"/{bucket}/{KEY}"
    proxy.drop_answer_of = path  # the first attempt lands unheard; every retry is cut off
    proxy.drop_request = lambda method, at: method == "PUT" and at == path and proxy.dropped >= 1
    with pytest.raises(StateError, match="the store did not answer") as caught:
        mine.write(second)
    assert "may or may not have changed" in caught.value.hint
    assert json.loads(stored(client, bucket))["serial"] == 1  # it did land
    proxy.drop_request = None
    third = second.copy()
    third.serial = 2
    mine.write(third)  # refused (the ETag moved), read back: our unconfirmed write; built on
    assert json.loads(stored(client, bucket))["serial"] == 2
    assert mine.lost is None


def test_an_apply_that_leaves_calls_which_may_still_land_does_not_release_a_shared_lock(
        tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    root = _stack(tmp_path, url, bucket)
    workspace = open_workspace(root, allow_empty=True, connect=False, clock=ManualClock(T0),
                               lock_command="gcsapply apply stack")
    journal = workspace.backend.open_journal()
    journal.append({"phase": "begin", "id": "sent-1", "address": "execution/a",
                    "kind": "Execution", "action": "create", "call": "create_execution",
                    "gcs_name": "a-00000000", "gcs_id": None, "at": T0})
    journal.close()
    workspace.close()
    assert stored(client, bucket, LOCK_KEY) is not None  # left to expire
    assert workspace.lock.lost and "left to expire" in workspace.lock.lost
    left = json.loads(stored(client, bucket, LOCK_KEY))
    assert left["abandoned_at"] == T0
    with pytest.raises(LockHeldError) as caught:  # its calls may still land: nobody plans yet
        lease_lock(url, bucket, at=T0 + SETTLE_SECONDS - 1).acquire()
    assert "leaving calls of unknown outcome" in str(caught.value)
    taker = lease_lock(url, bucket, at=T0 + SETTLE_SECONDS + 1)  # long before its 300 s lease
    taker.acquire()
    assert "took over a stale lock" in taker.warnings[0]
    taker.release()


def test_an_apply_whose_pending_calls_can_no_longer_land_releases_the_lock(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    root = _stack(tmp_path, url, bucket)
    workspace = open_workspace(root, allow_empty=True, connect=False, lock_command="gcsapply apply stack")
    journal = workspace.backend.open_journal()
    journal.append({"phase": "begin", "id": "sent-1", "address": "execution/a",
                    "kind": "Execution", "action": "create", "call": "create_execution",
                    "gcs_name": "a-00000000", "gcs_id": None,
                    "at": workspace.lock.clock.now() - SETTLE_SECONDS - 1})
    journal.close()
    workspace.close()
    assert stored(client, bucket, LOCK_KEY) is None


def _stack(tmp_path, url, bucket):
    root = tmp_path / "stack"
    root.mkdir()
    (root / "stack.yaml").write_text(stack_yaml(s3_state(url, bucket)))
    return root
