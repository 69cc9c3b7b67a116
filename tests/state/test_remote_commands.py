"""The remote state backend through the real CLI (``gcsapply.cli.main``): apply, plan, the lock
as other commands see it, ``state pull|push|unlock|migrate``, stale journals, stores that ignore
conditions, and a store that loses answers or stops answering."""

from __future__ import annotations

import json
import socket

from apply_harness import Gcs, execution
from remote_harness import KEY, etag, lease_lock, remote_stack, s3_state, stack_yaml, stored

from gcsapply.state.remote import parse_state

LOCK_KEY = f"{KEY}.lock"


def test_apply_keeps_the_state_in_the_bucket_and_plan_then_shows_no_changes(tmp_path, monkeypatch, capsys, s3_bucket):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(url, bucket))
    applied = gcs.apply()
    assert applied.code == 0, applied.err
    state = parse_state(stored(client, bucket), "s3")
    assert sorted(state.resources) == ["execution/e1", "workflow/hello"]
    assert state.resources["execution/e1"]["gcs_id"] == gcs.executions()[0]["execution"]["guid"]
    assert stored(client, bucket, LOCK_KEY) is None
    assert (root / ".gcsapply" / ".gitignore").read_text() == "*\n"
    assert not (root / ".gcsapply" / "state.json").exists()

    planned = gcs.run("plan", root, "--detailed-exitcode")
    assert planned.code == 0
    assert planned.out.splitlines()[0].endswith(f"stack teststack; state s3://{bucket}/{KEY} at {url}")
    assert planned.out.endswith("2 unchanged.\nNo changes.\n")
    pulled = gcs.run("state", "pull", root)
    assert pulled.code == 0 and pulled.out.encode() == stored(client, bucket)


def test_plan_never_locks_and_names_the_holder_and_unlock_needs_the_right_id(tmp_path, monkeypatch, capsys, s3_bucket):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(url, bucket))
    assert gcs.apply().code == 0
    gcs.write({"run-e2.yaml": execution("e2", "sample-e2")})
    holder = lease_lock(url, bucket, at=gcs.clock.now(), command="gcsapply apply elsewhere")
    held = holder.acquire()
    held_etag = etag(client, bucket, LOCK_KEY)

    planned = gcs.run("plan", root)
    assert planned.code == 0
    assert (f"warning: the state is locked by 'gcsapply apply elsewhere' of {held.holder} on host "
            f"{held.host} (pid {held.pid}, lock id {held.id}), started 2026-01-01T00:00:00Z") in planned.err
    assert "this plan may already be out of date" in planned.err
    assert etag(client, bucket, LOCK_KEY) == held_etag

    applied = gcs.apply()
    assert applied.code == 1
    assert (f"the state is locked by 'gcsapply apply elsewhere' of {held.holder} on host {held.host} "
            f"(pid {held.pid}, lock id {held.id}), started 2026-01-01T00:00:00Z, last heartbeat 0s ago"
            ) in applied.err
    assert f"'gcsapply state unlock {root} --lock-id {held.id}'" in applied.err
    assert len(gcs.executions()) == 1 and etag(client, bucket, LOCK_KEY) == held_etag

    bare = gcs.run("state", "unlock", root)
    assert bare.code == 1 and "a shared lock is removed only by its id: add --lock-id ID" in bare.err
    wrong = gcs.run("state", "unlock", root, "--lock-id", "0123456789abcdef")
    assert wrong.code == 1
    assert "the lock is not 0123456789abcdef: it is now held by 'gcsapply apply elsewhere'" in wrong.err
    assert etag(client, bucket, LOCK_KEY) == held_etag
    right = gcs.run("state", "unlock", root, "--lock-id", held.id)
    assert right.code == 0 and right.out.startswith("Released the lock held by 'gcsapply apply elsewhere'")
    assert stored(client, bucket, LOCK_KEY) is None
    again = gcs.run("state", "unlock", root, "--lock-id", held.id)
    assert again.out == f"No lock to release: s3://{bucket}/{KEY} is not locked.\n"
    holder.release()  # its lock is gone already: nothing to remove


def test_state_push_refuses_an_older_serial_or_another_lineage_unless_forced(tmp_path, monkeypatch, capsys, s3_bucket):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(url, bucket))
    assert gcs.apply().code == 0
    document = json.loads(gcs.run("state", "pull", root).out)
    serial = document["serial"]
    before = stored(client, bucket)
    pushed = tmp_path / "pushed.json"

    for change, message in (({"serial": serial}, f"has serial {serial}, not above the stored {serial}"),
                            ({"lineage": "99999999-0000-0000-0000-000000000000"},
                             "the state to push has lineage 99999999-")):
        pushed.write_text(json.dumps({**document, **change}))
        refused = gcs.run("state", "push", root, pushed)
        assert refused.code == 1 and message in refused.err and "Traceback" not in refused.err
        assert stored(client, bucket) == before
        assert stored(client, bucket, LOCK_KEY) is None

    pushed.write_text(json.dumps({**document, "serial": 0, "resources": {}}))
    forced = gcs.run("state", "push", root, pushed, "--force")
    assert forced.code == 0
    assert forced.out == (f"Pushed the state (lineage {document['lineage']}, serial {serial + 1}, 0 "
                          f"addresses) to s3://{bucket}/{KEY}.\n")
    now = parse_state(stored(client, bucket), "s3")
    assert (now.serial, now.resources) == (serial + 1, {})

    pushed.write_text(json.dumps({**document, "serial": serial + 2}))
    assert gcs.run("state", "push", root, pushed).code == 0
    assert parse_state(stored(client, bucket), "s3").resources == document["resources"]


def test_state_migrate_moves_a_local_state_to_the_bucket_once(tmp_path, monkeypatch, capsys, s3_bucket):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, "{backend: local}")
    assert gcs.apply().code == 0
    local = root / ".gcsapply" / "state.json"
    local_bytes = local.read_bytes()
    gcs.write({"stack.yaml": stack_yaml(s3_state(url, bucket))})

    planned = gcs.run("plan", root)
    assert planned.code == 0
    assert (f"warning: the stack keeps its state in s3://{bucket}/{KEY}, which is empty, and a local "
            "state file .gcsapply/state.json exists; run 'gcsapply state migrate' before the next "
            "apply") in planned.err
    applied = gcs.apply()
    assert applied.code == 1 and f"'gcsapply state migrate {root}'" in applied.err
    assert stored(client, bucket) is None and stored(client, bucket, LOCK_KEY) is None
    assert len(gcs.executions()) == 1

    migrated = gcs.run("state", "migrate", root)
    assert migrated.code == 0, migrated.err
    assert migrated.out.endswith(f"2 addresses) to s3://{bucket}/{KEY}; the local file is kept as "
                                 "state.json.migrated.\n")
    assert stored(client, bucket) == local_bytes
    assert not local.exists() and local.with_name("state.json.migrated").read_bytes() == local_bytes
    assert stored(client, bucket, LOCK_KEY) is None

    second = gcs.run("state", "migrate", root)
    assert second.code == 1 and "there is no local state to migrate" in second.err
    local.write_bytes(local_bytes)  # a copy put back: migrate never overwrites the bucket's
    third = gcs.run("state", "migrate", root)
    assert third.code == 1 and f"s3://{bucket}/{KEY} already holds a state" in third.err
    local.unlink()
    assert stored(client, bucket) == local_bytes
    assert gcs.plan_exitcode() == 0


def test_a_local_journal_older_than_the_stored_state_is_ignored_by_plan_and_set_aside_by_apply(
        tmp_path, monkeypatch, capsys, s3_bucket):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(url, bucket))
    assert gcs.apply().code == 0
    state = parse_state(stored(client, bucket), "s3")
    journal = root / ".gcsapply" / "journal.jsonl"
    journal.write_text(  # a runner killed at an older serial: it had dropped execution/e1
        json.dumps({"phase": "base", "serial": state.serial - 1, "lineage": state.lineage}) + "\n"
        + json.dumps({"phase": "end", "id": "x1", "address": "execution/e1",
                      "set": {"execution/e1": None}}) + "\n")
    stale = journal.read_bytes()

    planned = gcs.run("plan", root, "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert (f"note: the local journal does not continue the stored state (it continues serial "
            f"{state.serial - 1} of lineage {state.lineage[:8]}-..., and the stored state is now serial "
            f"{state.serial} of lineage {state.lineage[:8]}-...)") in planned.err
    assert "the next apply sets it aside" in planned.err
    assert journal.read_bytes() == stale

    applied = gcs.apply()
    assert applied.code == 0, applied.err
    [kept] = (root / ".gcsapply").glob("journal.jsonl.stale-*")
    assert kept.read_bytes() == stale
    assert f"it was set aside as {kept.name}" in applied.err
    after = parse_state(stored(client, bucket), "s3")
    assert after.resources["execution/e1"] == state.resources["execution/e1"]
    assert len(gcs.executions()) == 1


def test_a_store_that_ignores_conditions_is_refused_unless_locking_is_external(
        tmp_path, monkeypatch, capsys, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    proxy.strip_conditions = {"PUT", "DELETE"}
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(proxy.url, bucket))
    refused = gcs.apply()
    assert refused.code == 1 and "Traceback" not in refused.err
    assert (f"error: stack.yaml:7:10: bucket {bucket} at {proxy.url} ignores If-None-Match: * on "
            "writes, so two applies could both take the lock") in refused.err
    assert "or set spec.state.lock: external" in refused.err
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert not (root / ".gcsapply" / "emulator.sqlite").exists()

    gcs.write({"stack.yaml": stack_yaml(s3_state(proxy.url, bucket, lock="external"))})
    applied = gcs.apply()
    assert applied.code == 0, applied.err
    assert (f"warning: spec.state.lock is external: no lock is taken on s3://{bucket}/{KEY}; two "
            "applies of this stack must never run at once") in applied.err
    assert sorted(parse_state(stored(client, bucket), "s3").resources) == ["execution/e1", "workflow/hello"]
    assert proxy.requests(path=f"/{bucket}/{LOCK_KEY}") == []
    assert gcs.run("plan", root, "--detailed-exitcode").code == 0


def test_an_apply_whose_state_write_answer_is_lost_stores_the_state_once(tmp_path, monkeypatch, capsys, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    path = f"/{bucket}/{KEY}"
    proxy.drop_answer_of = path
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(proxy.url, bucket))
    applied = gcs.apply()
    assert applied.code == 0, applied.err
    assert proxy.dropped == 1
    writes = proxy.requests("PUT", path)
    versions = [v for v in client.list_object_versions(Bucket=bucket, Prefix=KEY)["Versions"]
                if v["Key"] == KEY]
    assert len(versions) == len(writes) - 1  # the retry of the lost one was refused: no copy
    assert sorted(parse_state(stored(client, bucket), "s3").resources) == ["execution/e1", "workflow/hello"]
    assert len(gcs.executions()) == 1
    assert gcs.run("plan", root, "--detailed-exitcode").code == 0


def test_a_store_that_stops_answering_fails_the_command_and_changes_nothing(
        tmp_path, monkeypatch, capsys, s3_bucket, proxy):
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, s3_state(url, bucket))
    assert gcs.apply().code == 0
    before = stored(client, bucket)
    closed = _closed_port()
    gcs.write({"stack.yaml": stack_yaml(s3_state(f"http://127.0.0.1:{closed}", bucket))})
    planned = gcs.run("plan", root)
    assert planned.code == 1 and "Traceback" not in planned.err
    assert (f"error: cannot read {KEY} in bucket {bucket} at http://127.0.0.1:{closed}: the store "
            "did not answer (EndpointConnectionError)\n  hint: check spec.state.endpoint and the "
            "network; the object is unchanged") in planned.err

    gcs.write({"stack.yaml": stack_yaml(s3_state(proxy.url, bucket)),
               "run-e2.yaml": execution("e2", "sample-e2")})
    proxy.drop_request = lambda method, path: method == "PUT" and path == f"/{bucket}/{KEY}"
    applied = gcs.apply()
    assert applied.code == 1 and "Traceback" not in applied.err
    assert (f"error: cannot write {KEY} in bucket {bucket} at {proxy.url}: the store did not answer "
            "(ConnectionClosedError)\n  hint: check spec.state.endpoint and the network; the object may "
            "or may not have changed; run the command again\n") in applied.err
    assert stored(client, bucket) == before
    assert stored(client, bucket, LOCK_KEY) is None
    launched = len(gcs.executions())

    proxy.drop_request = None  # the store is back: the next apply finishes without launching twice
    again = gcs.apply()
    assert again.code == 0, again.err
    assert len(gcs.executions()) == 2 >= launched
    assert sorted(parse_state(stored(client, bucket), "s3").resources) == [
        "execution/e1", "execution/e2", "workflow/hello"]
    assert gcs.run("plan", root, "--detailed-exitcode").code == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]




def test_state_migrate_carries_calls_of_unknown_outcome_to_the_remote_journal(
        tmp_path, monkeypatch, capsys, s3_bucket):
    """A local journal with a create whose outcome is unknown: after migrate, the next apply
    resolves it by lookup (the remote journal starts with its base line), never drops it."""
    url, bucket, client = s3_bucket
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    root = remote_stack(gcs, "{backend: local}")
    assert gcs.apply().code == 0
    journal = root / ".gcsapply" / "journal.jsonl"
    pending = {"phase": "begin", "id": "lost-1", "address": "execution/b", "kind": "Execution",
               "action": "create", "call": "create_execution", "gcs_name": "b-00000000",
               "gcs_id": None, "at": 0}
    journal.write_text(json.dumps(pending) + "\n")
    gcs.write({"stack.yaml": stack_yaml(s3_state(url, bucket))})

    assert gcs.run("state", "migrate", root).code == 0
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [line["phase"] for line in lines] == ["base", "begin"]
    assert lines[0]["serial"] == parse_state(stored(client, bucket), "s3").serial
    assert lines[1] == pending

    applied = gcs.apply()
    assert applied.code == 0, applied.err
    assert "journal: " in applied.err and "set aside" not in applied.err
    assert not list(journal.parent.glob("journal.jsonl.stale-*"))
