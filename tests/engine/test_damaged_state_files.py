"""Hand-damaged state files through the real CLI: a clear error naming the file and the field,
exit 1, nothing changed in GCS or in the files; a damaged lock counts as held (DESIGN §3, §8)."""

from __future__ import annotations

import json

import pytest
from apply_harness import execution

LOCK_HINT = "if no apply or destroy of this stack is running anywhere, run 'gcsapply state unlock"


@pytest.fixture
def applied(gcs):
    """A stack with one run applied; its state file's path."""
    gcs.write({"a.yaml": execution("a", "s1")})
    assert gcs.apply().code == 0
    return gcs.root / ".gcsapply" / "state.json"


@pytest.mark.parametrize("field,value,message", [
    ("gcs_id", ["run-1"], "execution/a: gcs_id must be a printable string or null (found a list)"),
    ("gcs_name", {"name": "a"},
     "execution/a: gcs_name must be a printable string or null (found an object)"),
    ("gcs_name", "a\x1b]0;owned\x07", "execution/a: gcs_name must be a printable string or null "
                                     "(found 'a\\x1b]0;owned\\x07')"),
    ("run_policy", "once", "execution/a: run_policy must be an object {mode, max_retries} "
                           "(found 'once')"),
    ("run_policy", {"mode": "always", "max_retries": 2},
     "execution/a: run_policy.mode must be 'once' or 'untilSucceeded' (found 'always')"),
    ("attempts", 10**30, "execution/a: attempts must be a whole number from 0 (found a number)"),
    ("superseded", None, "execution/a: superseded must be a list of objects"),
    ("superseded", [{"gcs_name": "a-1"}],
     "execution/a: superseded[0].gcs_id must be a printable string (found null)"),
    ("key", "\x1b[2Jnot-a-key", "execution/a: key must be 64 hexadecimal digits or null "
                                "(found '\\x1b[2Jnot-a-key')"),
])
def test_a_state_entry_field_of_the_wrong_shape_is_an_error_naming_the_file_and_the_field(
        gcs, applied, field, value, message):
    document = json.loads(applied.read_text())
    document["resources"]["execution/a"][field] = value
    applied.write_text(json.dumps(document))
    damaged = applied.read_bytes()
    for argv in (["plan", gcs.root], ["apply", gcs.root, "--auto-approve"], ["status", gcs.root],
                 ["state", "list", gcs.root]):
        result = gcs.run(*argv)
        assert result.code == 1, argv
        assert result.err.startswith(f"error: {applied}: malformed state document: {message}\n")
        assert "hint: restore it from a backup" in result.err
    assert applied.read_bytes() == damaged
    assert len(gcs.executions()) == 1


@pytest.mark.parametrize("text", [
    '{"pid": 12345678901234567890, "host": "vm", "command": "apply", "token": "x"}',
    '{"pid": 1e999, "host": "vm"}',
    '{"pid": [1], "host": {"name": "vm"}}',
    '{"pid": 4242, "host": "vm", "process_start": ["1"]}',
    "[" * 100_000,
    '{"pid": 4242, "host": "\\ud800"}',
])
def test_a_damaged_lock_counts_as_held_and_apply_refuses_with_the_unlock_hint(gcs, applied, text):
    lock = applied.with_name("state.lock")
    lock.write_text(text)
    refused = gcs.apply()
    assert refused.code == 1
    assert refused.err.startswith(f"error: {lock}: the state is locked, but the lock file cannot "
                                  "be read to tell by whom\n")
    assert LOCK_HINT in refused.err
    assert lock.read_text() == text
    plan = gcs.run("plan", gcs.root)
    assert plan.code == 0
    assert "warning: the state is locked by an unknown holder (the lock file cannot be read)" \
        in plan.err
    unlocked = gcs.run("state", "unlock", gcs.root)
    assert unlocked.out == "Released the lock held by an unknown holder (the lock file cannot be " \
                           "read).\n"
    assert gcs.apply().code == 0
    assert len(gcs.executions()) == 1


def test_a_lock_holder_with_escape_sequences_is_shown_escaped(gcs, applied):
    lock = applied.with_name("state.lock")
    lock.write_text(json.dumps({"pid": 1, "host": "ci\x1b[2J", "command": "apply\u202e",
                                "started_at": "now", "token": "x"}))
    refused = gcs.apply()
    assert refused.code == 1
    assert "the state is locked by pid 1 on host ci\\x1b[2J, command 'apply\\u202e'" in refused.err


def test_a_journal_line_damaged_before_its_end_is_an_error_naming_the_line_and_the_field(
        gcs, applied):
    journal = applied.with_name("journal.jsonl")
    journal.write_text('{"phase":"begin","id":["op-1"],"address":"execution/b"}\n'
                       '{"phase":"end","id":"op-2","address":"execution/b","ok":true}\n')
    for argv in (["plan", gcs.root], ["apply", gcs.root, "--auto-approve"]):
        result = gcs.run(*argv)
        assert result.code == 1
        assert result.err.startswith(f"error: {journal}: journal line 1 is not a journal entry: "
                                     "id must be a printable string (found a list)\n")
    assert list(applied.parent.glob("journal.jsonl.torn-*")) == []
