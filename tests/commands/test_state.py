"""``gcsapply state list|show|unlock``."""

from __future__ import annotations

import json

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply.state.lock import StateLock, read_lock


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    return gcs


def test_state_list_of_a_stack_never_applied_says_it_is_empty(gcs):
    result = gcs.run("state", "list", gcs.root)
    assert result.code == 0
    assert "is empty" in result.out


def test_state_list_shows_one_line_per_address(gcs):
    assert gcs.apply().code == 0
    lines = gcs.run("state", "list", gcs.root).out.splitlines()
    assert [line.split()[0] for line in lines] == ["execution/a", "workflow/hello"]
    assert lines[0].split()[1].startswith("a-")


def test_state_show_prints_the_entry_and_json_prints_it_as_stored(gcs):
    assert gcs.apply().code == 0
    text = gcs.run("state", "show", gcs.root, "execution/a").out
    assert text.startswith("# execution/a\n")
    assert "deletion_policy: retain" in text
    document = json.loads(gcs.run("state", "show", gcs.root, "execution/a", "--json").out)
    assert document["address"] == "execution/a" and document["attempts"] == 0


def test_state_show_of_an_unknown_address_lists_the_known_ones(gcs):
    assert gcs.apply().code == 0
    result = gcs.run("state", "show", gcs.root, "execution/zz")
    assert result.code == 1
    assert "execution/a, workflow/hello" in result.err


def test_state_unlock_removes_a_lock_and_says_whose_it_was(gcs):
    lock_path = gcs.root / ".gcsapply" / "state.lock"
    StateLock(lock_path, "gcsapply apply elsewhere").acquire()
    result = gcs.run("state", "unlock", gcs.root)
    assert result.code == 0
    assert "Released the lock held by pid" in result.out
    assert "command 'gcsapply apply elsewhere'" in result.out
    assert read_lock(lock_path) is None
    again = gcs.run("state", "unlock", gcs.root)
    assert "No lock to release" in again.out


def test_state_push_to_a_local_state_refuses_an_older_serial_or_another_lineage_unless_forced(
        gcs, tmp_path):
    assert gcs.apply().code == 0
    pulled = gcs.run("state", "pull", gcs.root)
    assert pulled.code == 0
    document = json.loads(pulled.out)
    serial = document["serial"]
    pushed = tmp_path / "pushed.json"
    for change, message in (({}, f"has serial {serial}, not above the stored {serial}"),
                            ({"serial": serial + 1, "lineage": "other-lineage"},
                             "the state to push has lineage other-lineage")):
        pushed.write_text(json.dumps({**document, **change}))
        refused = gcs.run("state", "push", gcs.root, pushed)
        assert refused.code == 1 and message in refused.err
    assert json.loads((gcs.root / ".gcsapply" / "state.json").read_text())["serial"] == serial
    pushed.write_text(json.dumps(document))
    forced = gcs.run("state", "push", gcs.root, pushed, "--force")
    assert forced.code == 0, forced.err
    assert json.loads((gcs.root / ".gcsapply" / "state.json").read_text())["serial"] == serial + 1
    assert not (gcs.root / ".gcsapply" / "state.lock").exists()
