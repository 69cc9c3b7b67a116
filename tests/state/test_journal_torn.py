"""A journal whose last line a crash cut short: read past without writing, cut off (with a copy
of the whole journal kept) by the first writer before anything is appended."""

from __future__ import annotations

import os

import pytest

from gcsapply.clock import ManualClock
from gcsapply.errors import StateError
from gcsapply.state import Journal, compact, read_current_state
from gcsapply.state.journal import parse_journal, torn_tail
from gcsapply.state.lock import StateLock

BEGIN = b'{"action":"create","address":"execution/a","call":"create_execution","id":"a",' \
        b'"phase":"begin"}\n'
END = b'{"address":"execution/a","id":"a","ok":false,"phase":"end"}\n'
NOON = 1_796_212_800.0  # 2026-12-02T12:00:00Z


@pytest.mark.parametrize("tail,torn", [
    (b"", False),
    (b'{"phase":"end","id"', True),  # cut mid-line
    (END[:-1], True),  # whole but for its newline: the write never returned
    (b"\x00\x00\x00\x00\n", True),  # not JSON: a disk that never wrote the data
    (b'{"phase":"end","id":"\xff', True),  # cut inside a character
    (b"   \n\n", False),  # blank lines
    (b"  ", False),  # blanks after the last newline
])
def test_only_a_last_line_without_its_newline_or_that_is_not_json_is_torn(tail, torn):
    data = BEGIN + tail
    assert (torn_tail(data) is not None) is torn
    entries, found = parse_journal(data)
    assert [e["phase"] for e in entries] == ["begin"]
    assert found == torn_tail(data)
    if torn:
        assert (found.offset, found.line) == (len(BEGIN), 2)


def test_plan_reads_past_a_torn_last_line_and_writes_nothing(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(BEGIN + b'{"phase":"end","id"')
    state, pending = read_current_state(tmp_path / "state.json")
    assert [e["id"] for e in pending] == ["a"]
    assert journal.read_bytes() == BEGIN + b'{"phase":"end","id"'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.jsonl"]


def test_taking_the_lock_cuts_a_torn_line_off_keeping_the_whole_journal_beside_it(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(BEGIN + b'{"phase":"end","id"')
    lock = StateLock(tmp_path / "state.lock", "apply .", now=NOON)
    lock.acquire()
    assert journal.read_bytes() == BEGIN
    copy = tmp_path / "journal.jsonl.torn-20261202T120000Z"
    assert copy.read_bytes() == BEGIN + b'{"phase":"end","id"'
    assert lock.warnings == [f"the last line of {journal} was cut short by a crash; it was cut "
                             "off, and the whole journal kept as journal.jsonl.torn-20261202T120000Z"]
    lock.release()


def test_a_line_appended_after_a_torn_one_starts_a_line_of_its_own(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(BEGIN + b'{"phase":"end","id"')
    journal = Journal(path, clock=ManualClock(NOON))
    journal.append({"phase": "end", "id": "a", "address": "execution/a", "ok": True})
    journal.close()
    assert [e["phase"] for e in Journal(path).replay()] == ["begin", "end"]
    assert Journal(path).pending() == []
    assert (tmp_path / "journal.jsonl.torn-20261202T120000Z").exists()


def test_two_tears_in_the_same_second_keep_two_copies(tmp_path):
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, clock=ManualClock(NOON))
    for tail in (b'{"pha', b'{"phase":"end"'):
        path.write_bytes(BEGIN + tail)
        journal.repair()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "journal.jsonl", "journal.jsonl.torn-20261202T120000Z",
        "journal.jsonl.torn-20261202T120000Z-2"]
    assert (tmp_path / "journal.jsonl.torn-20261202T120000Z-2").read_bytes().endswith(b'"end"')


def test_compaction_keeps_a_copy_of_a_torn_journal_before_rewriting_it(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(BEGIN + b'{"phase":"end","id"')
    compact(tmp_path / "state.json", clock=ManualClock(NOON))
    assert (tmp_path / "journal.jsonl.torn-20261202T120000Z").read_bytes().endswith(b'"id"')
    assert path.read_bytes() == BEGIN  # only the pending begin is kept


def test_a_bad_line_before_the_last_stays_an_error_and_is_never_cut(tmp_path):
    path = tmp_path / "journal.jsonl"
    damaged = BEGIN + b'{"phase":"end","id"\n' + END
    path.write_bytes(damaged)
    with pytest.raises(StateError, match="journal line 2 is not JSON") as caught:
        Journal(path).replay()
    assert caught.value.where == str(path)
    assert "move it away while no apply runs" in caught.value.hint
    assert Journal(path, clock=ManualClock(NOON)).repair() is None
    assert path.read_bytes() == damaged


def test_a_journal_that_is_not_a_regular_file_is_refused_unopened(tmp_path):
    os.mkfifo(tmp_path / "journal.jsonl")
    with pytest.raises(StateError, match="the journal is not a regular file"):
        read_current_state(tmp_path / "state.json")
