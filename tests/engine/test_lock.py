import json
import os
import socket
import subprocess
import sys

import pytest

from gcsapply.errors import LockHeldError
from gcsapply.state.lock import StateLock, force_unlock, read_lock


def test_a_lock_is_taken_and_released(tmp_path):
    path = tmp_path / ".gcsapply" / "state.lock"
    with StateLock(path, "apply stack") as lock:
        holder = read_lock(path)
        assert holder.pid == os.getpid()
        assert holder.command == "apply stack"
        assert lock.held
    assert not path.exists()


def test_a_second_apply_fails_naming_the_holder_and_the_unlock_hint(tmp_path):
    path = tmp_path / "state.lock"
    first = StateLock(path, "apply prod", now=1_767_225_600.0)
    first.acquire()
    with pytest.raises(LockHeldError) as caught:
        StateLock(path, "apply prod", unlock_hint_dir="prod").acquire()
    rendered = caught.value.render()
    assert f"pid {os.getpid()} on host {socket.gethostname()}" in rendered
    assert "command 'apply prod'" in rendered
    assert "started 2026-01-01T00:00:00Z" in rendered
    assert "gcsapply state unlock prod" in rendered
    first.release()
    assert not path.exists()


def test_a_lock_left_by_a_dead_process_on_this_host_is_released_with_a_warning(tmp_path):
    path = tmp_path / "state.lock"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    path.write_text(json.dumps({"pid": child.pid, "host": socket.gethostname(),
                                "command": "apply old", "started_at": "2026-01-01T00:00:00Z",
                                "token": "x"}))
    lock = StateLock(path, "apply new")
    lock.acquire()
    assert read_lock(path).command == "apply new"
    assert len(lock.warnings) == 1
    assert f"pid {child.pid}" in lock.warnings[0] and "no longer running" in lock.warnings[0]
    lock.release()


def test_a_recycled_pid_does_not_keep_a_dead_holder_alive(tmp_path):
    path = tmp_path / "state.lock"
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                "command": "apply old", "started_at": "?", "token": "x",
                                "process_start": "1"}))
    lock = StateLock(path, "apply new")
    lock.acquire()
    assert lock.warnings
    lock.release()


def test_a_lock_held_on_another_host_is_never_taken_over(tmp_path):
    path = tmp_path / "state.lock"
    path.write_text(json.dumps({"pid": 1, "host": "ci-runner-7", "command": "apply prod",
                                "started_at": "2026-01-01T00:00:00Z", "token": "x"}))
    with pytest.raises(LockHeldError, match="pid 1 on host ci-runner-7"):
        StateLock(path, "apply prod").acquire()
    assert read_lock(path).host == "ci-runner-7"


def test_release_leaves_a_successors_lock_alone(tmp_path):
    path = tmp_path / "state.lock"
    lock = StateLock(path, "apply a")
    lock.acquire()
    force_unlock(path)
    successor = StateLock(path, "apply b")
    successor.acquire()
    lock.release()
    assert read_lock(path).command == "apply b"


def test_force_unlock_returns_the_old_holder_or_none(tmp_path):
    path = tmp_path / "state.lock"
    assert force_unlock(path) is None
    StateLock(path, "destroy x").acquire()
    assert force_unlock(path).command == "destroy x"
    assert not path.exists()


def test_a_lock_file_that_cannot_be_read_is_never_taken_over(tmp_path):
    path = tmp_path / "state.lock"
    path.write_text('{"pid": "ci-runner-7:4242", "host"')  # another version's, or damaged
    with pytest.raises(LockHeldError) as caught:
        StateLock(path, "apply prod", unlock_hint_dir="prod").acquire()
    assert "lock file cannot be read" in caught.value.render()
    assert "gcsapply state unlock prod" in caught.value.render()
    assert path.read_text() == '{"pid": "ci-runner-7:4242", "host"'
