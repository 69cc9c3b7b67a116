"""50 crashes that tear the journal at random byte offsets: plan, apply and status go on, and
nothing is launched twice (DESIGN §3: a torn last line is never fatal).

A real apply of six launches writes the journal; a hard link made before it keeps every line
that apply wrote (compaction replaces the journal's file, not the linked one). Each trial is a
``kill -9`` at a seeded random byte of that journal (one in five between two lines): the
journal is cut there, ``state.json`` is the one from before the apply, the lock is left by a
dead process, and GCS holds exactly the runs that had been sent by then -- a launch whose
``begin`` line was complete but which has no ``end`` is, by a coin toss, landed or lost. Then ``plan``, ``apply`` and ``status`` must
succeed, the missing runs must be launched exactly once (the emulator counts every POST), and
every run must have one name.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from collections import Counter

import pytest
from apply_harness import execution

SEED = 20261202
TRIALS = 50
BATCHES = 5  # split so pytest-xdist can spread the trials
FIRST, LATER = 3, 6  # runs of the first apply; runs the journaled apply launches


@pytest.mark.parametrize("batch", range(BATCHES))
def test_a_journal_torn_by_a_crash_at_any_byte_never_bricks_the_stack_nor_launches_twice(
        make_gcs, tmp_path, batch):
    gcs = make_gcs(execution_names="any")
    work = gcs.root / ".gcsapply"
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(FIRST)})
    assert gcs.apply().code == 0
    state_before = (work / "state.json").read_bytes()
    journal = work / "journal.jsonl"
    journal.touch()
    written = tmp_path / "journal-as-written.jsonl"
    os.link(journal, written)
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(FIRST, FIRST + LATER)})
    assert gcs.run("apply", gcs.root, "--auto-approve", "--parallelism", "1").code == 0
    lines = written.read_bytes()
    assert lines.count(b'"call":"create_execution"') == LATER
    ends = [index + 1 for index, byte in enumerate(lines) if byte == ord("\n")]
    database = {path.name: path.read_bytes() for path in work.glob("emulator.sqlite*")}
    dead_pid = _dead_pid()

    for trial in range(batch, TRIALS, BATCHES):
        rng = random.Random(SEED * 100 + trial)
        cut = rng.choice(ends) if rng.random() < 0.2 else rng.randrange(1, len(lines))
        torn = lines[:cut]
        for path in work.glob("journal.jsonl.torn-*"):
            path.unlink()
        for name, data in database.items():
            (work / name).write_bytes(data)
        lost = _lost_launches(lines, torn, rng)
        _remove_runs(gcs, lost)
        (work / "state.json").write_bytes(state_before)
        journal.write_bytes(torn)
        (work / "state.lock").write_text(json.dumps({
            "pid": dead_pid, "host": socket.gethostname(), "command": "apply (killed)",
            "started_at": "2026-01-01T00:00:00Z", "token": "killed"}))
        try:
            _recover(gcs, torn, lost)
        except AssertionError as exc:
            raise AssertionError(f"trial {trial} (cut at byte {cut} of {len(lines)}, lost "
                                 f"{sorted(lost)}): {exc}") from None


def _recover(gcs, torn: bytes, lost: set[str]) -> None:
    work = gcs.root / ".gcsapply"
    servers_before = len(gcs.servers)
    plan = gcs.run("plan", gcs.root, "--detailed-exitcode")
    assert plan.code == (2 if lost else 0), plan.err
    assert not list(work.glob("journal.jsonl.torn-*")), "plan wrote a file"
    applied = gcs.apply()
    assert applied.code == 0, applied.err
    copies = list(work.glob("journal.jsonl.torn-*"))
    if torn.endswith(b"\n"):
        assert copies == []
    else:
        [copy] = copies
        assert copy.read_bytes() == torn
        assert f"and the whole journal kept as {copy.name}" in applied.err
    status = gcs.run("status", gcs.root)
    assert status.code == 0, status.err
    launched = sum(server.stats().get("POST /v1/executions", 0)
                   for server in gcs.servers[servers_before:])
    assert launched == len(lost)
    names = Counter(item["execution"]["name"] for item in gcs.executions())
    assert len(names) == FIRST + LATER and max(names.values()) == 1, names
    assert gcs.plan_exitcode() == 0


def _lost_launches(written: bytes, torn: bytes, rng: random.Random) -> set[str]:
    """The GCS names of the launches in ``written`` that had not reached GCS when the crash
    left ``torn``: not begun, or begun without an end and lost by a coin toss."""
    everyone = {entry["gcs_name"] for entry in _complete_lines(written)
                if entry.get("call") == "create_execution"}
    begun, ended = {}, set()
    for entry in _complete_lines(torn):
        if entry.get("call") == "create_execution":
            begun[entry["id"]] = entry["gcs_name"]
        elif entry["phase"] == "end":
            ended.add(entry["id"])
    sent = {name for entry_id, name in sorted(begun.items())
            if entry_id in ended or rng.random() < 0.5}
    return everyone - sent


def _complete_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def _remove_runs(gcs, gcs_names: set[str]) -> None:
    with gcs.api() as api:
        for item in list(api.list_executions()):
            if item["execution"]["name"] in gcs_names:
                api.delete_execution(item["execution"]["guid"])


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid

