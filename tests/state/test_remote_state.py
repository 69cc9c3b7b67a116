"""The state object of a remote backend (s3 over moto's S3 server): read, compare-and-swap
writes on the ETag, no lost update under concurrent writers, and a write whose answer is lost."""

from __future__ import annotations

import threading

import pytest
from remote_harness import BINDING, KEY, backend, bucket_at, state_document, stored, workflow_entry

from gcsapply.errors import StateError
from gcsapply.state.file import State, render_state
from gcsapply.state.remote import parse_state

LINEAGE = "11111111-2222-3333-4444-555555555555"
WRITERS = 20


def test_reading_a_missing_state_object_gives_the_empty_state(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    remote = backend(tmp_path, url, bucket)
    assert remote.read() == State.empty()
    assert remote.exists() is False
    assert stored(client, bucket) is None


def test_the_first_write_creates_the_object_only_if_absent_and_reads_back_equal(tmp_path, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    remote = backend(tmp_path, proxy.url, bucket)
    remote.read()
    state = State(BINDING, LINEAGE, 1, {"workflow/a": workflow_entry("a")})
    remote.write(state)
    [(_, _, headers)] = proxy.requests("PUT", f"/{bucket}/{KEY}")
    assert headers.get("If-None-Match") == "*" and "If-Match" not in headers
    assert stored(client, bucket) == render_state(state).encode()
    assert backend(tmp_path, url, bucket).read() == state


def test_a_writer_that_read_an_older_version_is_refused_and_the_object_is_unchanged(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    first, second = backend(tmp_path, url, bucket), backend(tmp_path, url, bucket)
    first.read()
    first.write(State(BINDING, LINEAGE, 1, {"workflow/a": workflow_entry("a")}))
    old = second.read()
    newer = first.read()
    newer.resources["workflow/b"] = workflow_entry("b")
    newer.serial = 2
    first.write(newer)
    before = stored(client, bucket)

    old.resources["workflow/c"] = workflow_entry("c")
    old.serial = 2
    with pytest.raises(StateError) as caught:
        second.write(old)
    assert "changed since this command read it (now serial 2 of lineage 11111111-...)" in str(caught.value)
    assert "without overwriting it" in str(caught.value)
    assert stored(client, bucket) == before


def test_a_first_write_racing_an_existing_object_is_refused_too(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    late = backend(tmp_path, url, bucket)
    assert late.read() == State.empty()  # nothing there yet
    client.put_object(Bucket=bucket, Key=KEY, Body=state_document(7))
    with pytest.raises(StateError, match="changed since this command read it"):
        late.write(State(BINDING, LINEAGE, 1, {}))
    assert stored(client, bucket) == state_document(7)


def test_twenty_concurrent_read_modify_writes_lose_no_update(tmp_path, atomic_s3):
    proxy, bucket, client = atomic_s3
    url = proxy.url
    shared = bucket_at(url, bucket)  # a boto3 client is thread-safe; each writer has its own ETag
    writers = [backend(tmp_path, url, bucket, bucket_object=shared) for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    conflicts, errors = [], []

    def push(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                state = writers[index].read()
                state.binding, state.lineage = BINDING, LINEAGE
                state.resources[f"workflow/w{index}"] = workflow_entry(f"w{index}")
                state.serial += 1
                try:
                    writers[index].write(state)
                    return
                except StateError as exc:
                    assert "changed since this command read it" in str(exc)
                    conflicts.append(index)
        except BaseException as exc:  # reported below, with the thread's own traceback lost
            errors.append(repr(exc))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    final = parse_state(stored(client, bucket), "s3")
    assert sorted(final.resources) == sorted(f"workflow/w{i}" for i in range(WRITERS))
    assert final.serial == WRITERS  # every write built on the one before it
    assert len(conflicts) >= 1


def test_a_write_whose_answer_is_lost_is_retried_refused_read_back_and_taken_as_written(
        tmp_path, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    path = f"/{bucket}/{KEY}"
    remote = backend(tmp_path, proxy.url, bucket)
    remote.read()

    proxy.drop_answer_of = path
    first = State(BINDING, LINEAGE, 1, {"workflow/a": workflow_entry("a")})
    remote.write(first)  # no error: the retry was refused (412), the object holds our bytes
    assert proxy.dropped == 1
    assert [h.get("If-None-Match") for _, _, h in proxy.requests("PUT", path)] == ["*", "*"]
    assert stored(client, bucket) == render_state(first).encode()

    proxy.drop_answer_of = path
    second = remote.read()
    second.resources["workflow/b"] = workflow_entry("b")
    second.serial = 2
    remote.write(second)  # the same over If-Match: the ETag read back is the one used next
    assert proxy.dropped == 2
    updates = proxy.requests("PUT", path)[2:]
    assert len(updates) == 2 and updates[0][2]["If-Match"] == updates[1][2]["If-Match"]

    third = remote.read()
    third.serial = 3
    remote.write(third)
    versions = client.list_object_versions(Bucket=bucket, Prefix=KEY)["Versions"]
    assert len(versions) == 3  # each state stored once
    assert backend(tmp_path, url, bucket).read() == third


@pytest.mark.parametrize("body,message", [
    (b"{not json", "the state object is not valid JSON: Expecting property name"),
    (b"\xff\xfe", "the state object is not UTF-8 text (byte 0)"),
    (b'{"format_version": "1.0", "serial": -1}', "malformed state document: serial must be"),
    (b'{"format_version": "2.0"}', "not a gcsapply state document"),
    (b'{"format_version": "1.0", "serial": NaN}', "the state object is not valid JSON: NaN"),
])
def test_a_stored_object_that_is_not_a_state_is_an_error_naming_the_object(tmp_path, s3_bucket, body, message):
    url, bucket, client = s3_bucket
    client.put_object(Bucket=bucket, Key=KEY, Body=body)
    with pytest.raises(StateError) as caught:
        backend(tmp_path, url, bucket).read()
    assert message in str(caught.value)
    assert caught.value.where == f"s3://{bucket}/{KEY}"
    assert "gcsapply state push DIR FILE --force" in caught.value.hint
