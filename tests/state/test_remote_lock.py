"""The lock of a remote state (an object with a lease, over moto's S3 server): held, refused
with its holder named, released only while ours, stale locks taken over by exactly one taker,
a holder that finds its lock taken stops, and stores that ignore conditional writes refused.

Clocks are ManualClocks; the heartbeat thread never beats on its own (``remote_harness.NEVER``),
so every renewal is a ``lock.renew()`` call of the test."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest
from remote_harness import KEY, NEVER, T0, backend, bucket_at, etag, lease_lock, spec, state_document, stored

from gcsapply.clock import ManualClock
from gcsapply.errors import ConfigError, LockHeldError, StateError
from gcsapply.state.lease import SETTLE_SECONDS, parse_lease, unlock
from gcsapply.state.objects import probe_conditional_writes

LOCK_KEY = f"{KEY}.lock"
LEASE = 300.0
ROUNDS = 20
TAKERS = 3


def test_a_held_lock_refuses_a_second_holder_naming_the_first_and_is_free_after_release(s3_bucket):
    url, bucket, client = s3_bucket
    a = lease_lock(url, bucket, command="gcsapply apply stack-a")
    held = a.acquire()
    b = lease_lock(url, bucket, at=T0 + 42)
    with pytest.raises(LockHeldError) as caught:
        b.acquire()
    text = str(caught.value)
    assert (f"the state is locked by 'gcsapply apply stack-a' of {held.holder} on host "
            f"{socket.gethostname()} (pid {os.getpid()}, lock id {held.id}), started "
            "2026-12-02T12:00:00Z, last heartbeat 42s ago") in text
    assert caught.value.hint.endswith(f"'gcsapply state unlock stack --lock-id {held.id}'")
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == held.id

    a.release()
    assert stored(client, bucket, LOCK_KEY) is None
    assert b.acquire().id != held.id
    b.release()


def test_the_lock_is_created_only_if_absent_and_renewed_and_removed_only_over_its_etag(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    lock = lease_lock(proxy.url, bucket)
    lock.acquire()
    created = etag(client, bucket, LOCK_KEY)
    lock.clock.advance(10)
    assert lock.renew() is True
    renewed = etag(client, bucket, LOCK_KEY)
    create, renewal = proxy.requests("PUT", f"/{bucket}/{LOCK_KEY}")
    assert create[2].get("If-None-Match") == "*"
    assert renewal[2].get("If-Match") == created != renewed
    assert json.loads(stored(client, bucket, LOCK_KEY))["heartbeat_at"] == T0 + 10
    lock.release()
    [(_, _, delete)] = proxy.requests("DELETE", f"/{bucket}/{LOCK_KEY}")
    assert delete.get("If-Match") == renewed
    assert stored(client, bucket, LOCK_KEY) is None


def test_release_removes_the_lock_only_while_it_is_still_ours(s3_bucket):
    url, bucket, client = s3_bucket
    a = lease_lock(url, bucket)
    a.acquire()
    b = lease_lock(url, bucket, at=T0 + LEASE + 1)
    taken = b.acquire()
    a.release()  # its conditional delete is refused: the lock is b's
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == taken.id
    b.release()
    assert stored(client, bucket, LOCK_KEY) is None


def test_on_a_store_without_conditional_deletes_release_looks_before_it_deletes(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    proxy.strip_conditions = {"DELETE"}
    shared = bucket_at(proxy.url, bucket)

    def probed(**options):
        return lease_lock(proxy.url, bucket, bucket_object=shared, **options,
                          probe=lambda: probe_conditional_writes(shared, spec(proxy.url, bucket)))

    a = probed()
    a.acquire()
    b = lease_lock(url, bucket, at=T0 + LEASE + 1)
    taken = b.acquire()
    a.release()
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == taken.id
    assert proxy.requests("DELETE", f"/{bucket}/{LOCK_KEY}") == []
    b.release()

    c = probed(at=T0 + 600)
    c.acquire()
    c.release()  # still its own: looked at, then deleted
    assert stored(client, bucket, LOCK_KEY) is None
    assert len(proxy.requests("DELETE", f"/{bucket}/{LOCK_KEY}")) == 1


def test_a_stale_lock_is_taken_over_with_a_warning_and_its_old_holder_learns_it_lost_it(s3_bucket):
    url, bucket, client = s3_bucket
    lost = []
    a = lease_lock(url, bucket, on_lost=lost.append)
    old = a.acquire()

    early = lease_lock(url, bucket, at=T0 + LEASE - 1)
    with pytest.raises(LockHeldError, match=f"lock id {old.id}.*last heartbeat 5m ago"):
        early.acquire()
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == old.id

    b = lease_lock(url, bucket, at=T0 + LEASE + 1)
    new = b.acquire()
    [warning] = b.warnings
    assert warning.startswith(f"took over a stale lock: its holder 'gcsapply apply .' of {old.holder} "
                              f"on host {old.host} (pid {old.pid}, lock id {old.id})")
    assert "has not renewed it for longer than its lease (300s)" in warning

    a.clock.advance(LEASE + 1)  # its runner wakes up again, at the taker's time
    assert a.renew() is False
    assert a.lost == lost[0]
    assert lost == [f"the lock was taken from this apply; it is now held by 'gcsapply apply .' of "
                    f"{new.holder} on host {new.host} (pid {new.pid}, lock id {new.id}), started "
                    "2026-12-02T12:05:01Z, last heartbeat 0s ago"]
    assert a.renew() is False and len(lost) == 1  # lost once, and never renewed again
    a.release()
    assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == new.id
    b.release()


def test_a_holder_that_cannot_renew_gives_the_lock_up_a_settle_time_before_its_lease_ends(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    lost = []
    a = lease_lock(proxy.url, bucket, on_lost=lost.append)
    a.acquire()
    proxy.deny = True
    a.clock.advance(LEASE - SETTLE_SECONDS - 1)
    assert a.renew() is True and a.lost is None  # refused, but a call sent now still lands in time
    a.clock.advance(2)
    assert a.renew() is False
    assert lost == ["the lock could not be renewed for so long that another runner may take it "
                    "over before a call sent now could land"]
    proxy.deny = False
    a.release()  # lost: it leaves the object alone
    assert stored(client, bucket, LOCK_KEY) is not None


def test_a_backend_whose_lock_was_taken_over_never_writes_the_state_again(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    client.put_object(Bucket=bucket, Key=KEY, Body=state_document(3))
    remote = backend(tmp_path, url, bucket)
    lost = []
    lock = remote.lock("gcsapply apply .", unlock_hint_dir=".", clock=ManualClock(T0), on_lost=lost.append)
    lock.beat_seconds = NEVER
    lock.acquire()
    state = remote.read()
    taker = lease_lock(url, bucket, at=T0 + LEASE + 1)
    taker.acquire()
    assert lock.renew() is False and len(lost) == 1
    state.serial = 4
    with pytest.raises(StateError, match="not writing the state: the lock was taken from this apply"):
        remote.write(state)
    assert stored(client, bucket) == state_document(3)
    lock.release()
    taker.release()


def test_of_takers_racing_for_one_stale_lock_exactly_one_wins_every_time(atomic_s3):
    proxy, bucket, client = atomic_s3
    url = proxy.url
    buckets = [bucket_at(url, bucket) for _ in range(TAKERS + 1)]
    contended = 0
    for round_ in range(ROUNDS):
        before = len(_takeovers(proxy, bucket))
        dead = lease_lock(url, bucket, at=T0 + round_, bucket_object=buckets[-1])
        dead.acquire()
        dead._stop.set()  # its runner vanished: no heartbeat, no release
        takers = [lease_lock(url, bucket, at=T0 + round_ + LEASE + 1, bucket_object=own)
                  for own in buckets[:TAKERS]]
        won, refused = _race(takers)
        assert len(won) == 1, (round_, won, refused)
        assert len(refused) == TAKERS - 1
        assert all(f"lock id {won[0].id}" in text for text in refused), refused
        assert json.loads(stored(client, bucket, LOCK_KEY))["id"] == won[0].id
        contended += len(_takeovers(proxy, bucket)) - before > 1
        for taker in takers:
            taker.release()
        assert stored(client, bucket, LOCK_KEY) is None
    assert contended >= 1  # in some round two takers sent their compare-and-swap: a real race


def _takeovers(proxy, bucket) -> list:
    """The compare-and-swap writes of the lock seen so far (takeovers; no renewals here)."""
    return [r for r in proxy.requests("PUT", f"/{bucket}/{LOCK_KEY}") if "If-Match" in r[2]]


def _race(takers) -> tuple[list, list[str]]:
    """Start ``takers``' acquire() at once: (the holders taken, the refusals' texts)."""
    barrier = threading.Barrier(len(takers))
    won, refused, errors = [], [], []

    def take(taker):
        try:
            barrier.wait(timeout=30)
            won.append(taker.acquire())
        except LockHeldError as exc:
            refused.append(str(exc))
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=take, args=(t,)) for t in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return won, refused


def test_an_unreadable_lock_object_counts_as_held_and_is_removed_only_by_its_id(s3_bucket):
    url, bucket, client = s3_bucket
    client.put_object(Bucket=bucket, Key=LOCK_KEY, Body=b"\x00 not a lock")
    lock_id = etag(client, bucket, LOCK_KEY).strip('"')
    with pytest.raises(LockHeldError) as caught:
        lease_lock(url, bucket).acquire()
    assert "the lock object cannot be read to tell by whom" in str(caught.value)
    assert f"--lock-id {lock_id}" in caught.value.hint
    with pytest.raises(StateError) as refused:
        unlock(bucket_at(url, bucket), spec(url, bucket), "0123abcd")
    assert str(refused.value) == ("the lock is not 0123abcd: it is now held by an unknown holder "
                                  f"(the lock object cannot be read; lock id {lock_id})")
    assert refused.value.hint == "nothing was removed; a lock is removed only while it is the one named"
    assert stored(client, bucket, LOCK_KEY) == b"\x00 not a lock"
    assert unlock(bucket_at(url, bucket), spec(url, bucket), lock_id).readable is False
    assert stored(client, bucket, LOCK_KEY) is None


@pytest.mark.parametrize("body", [
    b'{"version": 2, "id": "x"}',
    b"[]",
    b'{"version": 1, "id": "a b", "holder": "h", "host": "h", "pid": 1, "command": "c", '
    b'"started_at": "s", "heartbeat_at": 1, "lease_seconds": 300}',
    b'{"version": 1, "id": "ab", "holder": "h", "host": "h", "pid": true, "command": "c", '
    b'"started_at": "s", "heartbeat_at": 1, "lease_seconds": 300}',
])
def test_a_lock_object_of_another_shape_is_unreadable_with_its_etag_as_its_id(body):
    holder = parse_lease(body, '"9f86d081"', now=T0)
    assert (holder.readable, holder.id) == (False, "9f86d081")
    assert holder.describe() == "an unknown holder (the lock object cannot be read; lock id 9f86d081)"


def test_a_store_that_ignores_conditional_writes_is_refused_naming_the_bucket(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    proxy.strip_conditions = {"PUT", "DELETE"}
    with pytest.raises(ConfigError) as caught:
        probe_conditional_writes(bucket_at(proxy.url, bucket), spec(proxy.url, bucket))
    assert str(caught.value) == (f"bucket {bucket} at {proxy.url} ignores If-None-Match: * on "
                                 "writes, so two applies could both take the lock")
    assert "spec.state.lock: external" in caught.value.hint
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # the probe object is gone


def test_a_store_that_ignores_only_if_match_is_refused_too(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    proxy.strip_conditions, proxy.stripped = {"PUT"}, ("If-Match",)
    with pytest.raises(ConfigError, match=f"bucket {bucket} at .* ignores If-Match on writes"):
        probe_conditional_writes(bucket_at(proxy.url, bucket), spec(proxy.url, bucket))


def test_the_probe_is_made_once_per_bucket_and_endpoint(s3_bucket, proxy):
    url, bucket, client = s3_bucket
    for _ in range(3):
        assert probe_conditional_writes(bucket_at(proxy.url, bucket), spec(proxy.url, bucket)) is True
    assert len(proxy.requests("PUT")) == 3  # create, If-None-Match refused, If-Match refused
