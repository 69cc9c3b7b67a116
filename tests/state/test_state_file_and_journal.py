"""state.json and journal.jsonl: binding, atomic writes, replay, pending entries, compaction."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gcsapply.engine.record_changes import execution_entry, workflow_entry
from gcsapply.errors import StateError
from gcsapply.manifest.model import ExecutionSpec, WorkflowSpec
from gcsapply.schemas import load_schema
from gcsapply.state import Binding, Journal, State, compact, load_state, read_current_state, write_state_atomic

BINDING = Binding("embedded", "0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3", "genomics-prod")
WF = WorkflowSpec(name="germline", template_path=Path("/t.yaml"),
                  template_bytes=b"version: genecontainer_0_1\n")
RUN = ExecutionSpec(name="na12878", workflow="germline", inputs={"sample": "NA12878"})


def _state() -> State:
    state = State.new(BINDING)
    state.resources["workflow/germline"] = workflow_entry(WF, gcs_id="wf-1", created=True)
    state.resources["execution/na12878"] = execution_entry(RUN, gcs_id="run-1",
                                                           workflow_id="wf-1")
    return state


def test_a_missing_state_file_is_the_empty_state(tmp_path):
    state = load_state(tmp_path / "state.json")
    assert (state.lineage, state.serial, state.resources, state.binding) == (None, 0, {}, None)


def test_state_round_trips_and_validates_against_its_schema(tmp_path):
    path = tmp_path / ".gcsapply" / "state.json"
    write_state_atomic(path, _state())
    document = json.loads(path.read_text())
    Draft202012Validator(load_schema("state")).validate(document)
    again = load_state(path)
    assert again.to_json() == _state().to_json() | {"lineage": again.lineage}
    assert list(document["resources"]) == ["execution/na12878", "workflow/germline"]


def test_an_atomic_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "state.json"
    write_state_atomic(path, _state())
    write_state_atomic(path, _state())
    assert sorted(os.listdir(tmp_path)) == ["state.json"]


def test_a_state_bound_to_another_target_is_refused_naming_what_differs(tmp_path):
    other = Binding("https://gcs.cn-north-4.myhuaweicloud.com", BINDING.project_id,
                    BINDING.stack)
    with pytest.raises(StateError, match="endpoint 'embedded' .now 'https://gcs"):
        _state().check_binding(other, path=tmp_path / "state.json")
    _state().check_binding(BINDING)  # the same target is fine


def test_an_unreadable_state_file_is_a_state_error_with_a_hint(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(StateError) as caught:
        load_state(path)
    assert "journal.jsonl" in caught.value.hint


def test_a_document_of_another_format_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 4, "resources": []}))
    with pytest.raises(StateError, match="not a gcsapply state document"):
        load_state(path)


def test_journal_replay_returns_entries_in_order_and_ignores_a_torn_last_line(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append({"phase": "begin", "id": "a", "address": "execution/na12878"})
    journal.append({"phase": "end", "id": "a", "ok": True})
    journal.close()
    with open(journal.path, "a") as handle:
        handle.write('{"phase": "begin", "id"')
    assert [e["id"] for e in journal.replay()] == ["a", "a"]


def test_a_torn_line_in_the_middle_of_the_journal_is_an_error(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_text('{"phase": "begin", "id": "a"}\n{broken\n{"phase": "end", "id": "a"}\n')
    with pytest.raises(StateError, match="journal line 2 is not JSON"):
        Journal(path).replay()


def test_a_begin_without_its_end_is_pending(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append({"phase": "begin", "id": "a", "address": "execution/a"})
    journal.append({"phase": "end", "id": "a", "ok": True})
    journal.append({"phase": "begin", "id": "b", "address": "execution/b"})
    assert [e["id"] for e in journal.pending()] == ["b"]


def test_read_current_state_replays_the_journal_in_memory_and_writes_nothing(tmp_path):
    path = tmp_path / "state.json"
    write_state_atomic(path, _state())
    before = path.read_bytes()
    journal = Journal.beside(path)
    entry = execution_entry(RUN, gcs_id="run-2")
    journal.append({"phase": "begin", "id": "x", "address": "execution/na12878"})
    journal.append({"phase": "end", "id": "x", "ok": True, "set": {"execution/na12878": entry}})
    journal.append({"phase": "state", "set": {"workflow/germline": None}})
    journal.close()
    state, pending = read_current_state(path)
    assert state.resources["execution/na12878"]["gcs_id"] == "run-2"
    assert "workflow/germline" not in state.resources
    assert state.serial == 1 and pending == []
    assert path.read_bytes() == before


def test_compaction_folds_the_journal_into_state_and_keeps_pending_entries(tmp_path):
    path = tmp_path / "state.json"
    journal = Journal.beside(path)
    journal.append({"phase": "meta", "lineage": "lin-1", "binding": BINDING.to_json()})
    journal.append({"phase": "end", "id": "a", "ok": True,
                    "set": {"execution/na12878": execution_entry(RUN, gcs_id="run-1")}})
    journal.append({"phase": "begin", "id": "b", "address": "execution/other"})
    journal.close()
    compacted = compact(path)
    assert (compacted.lineage, compacted.binding, compacted.serial) == ("lin-1", BINDING, 1)
    assert load_state(path).resources["execution/na12878"]["gcs_id"] == "run-1"
    assert [e["id"] for e in Journal.beside(path).replay()] == ["b"]
    assert compact(path).serial == 1  # nothing new: the serial stays


def test_an_unknown_journal_phase_is_refused(tmp_path):
    with pytest.raises(ValueError):
        Journal(tmp_path / "journal.jsonl").append({"phase": "maybe"})


def test_a_state_file_that_is_not_utf8_is_a_state_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(StateError, match="not UTF-8"):
        load_state(path)


def test_a_state_whose_resources_are_not_objects_is_refused(tmp_path):
    path = tmp_path / "state.json"
    document = _state().to_json()
    document["resources"]["execution/na12878"] = "garbage"
    path.write_text(json.dumps(document))
    with pytest.raises(StateError, match="resources must map addresses to objects"):
        load_state(path)


@pytest.mark.parametrize("line", ['42', '["phase"]', '{"phase": "end", "set": [1]}',
                                  '{"phase": "end", "set": {"execution/a": "x"}}',
                                  '{"phase": "meta", "binding": {"endpoint": "embedded"}}',
                                  '{"no": "phase"}'])
def test_a_json_line_that_is_not_a_journal_entry_is_an_error(tmp_path, line):
    path = tmp_path / "journal.jsonl"
    path.write_text('{"phase": "begin", "id": "a"}\n' + line + '\n{"phase": "end", "id": "a"}\n')
    with pytest.raises(StateError, match="journal line 2 is not a journal entry"):
        Journal(path).replay()


def test_bytes_that_are_not_utf8_in_the_journal_are_an_error_unless_on_a_torn_last_line(
        tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b'{"phase": "begin", "id": "a"}\n\xff\xfe\n{"phase": "end", "id": "a"}\n')
    with pytest.raises(StateError, match="journal line 2 is not JSON: not UTF-8"):
        Journal(path).replay()
    path.write_bytes(b'{"phase": "begin", "id": "a"}\n{"phase": "end", "id": "\xff')
    assert [e["phase"] for e in Journal(path).replay()] == ["begin"]


@pytest.mark.parametrize("meta", [
    {"phase": "meta", "lineage": "another-lineage", "binding": None},
    {"phase": "meta", "lineage": None, "binding": {**BINDING.to_json(), "stack": "other"}}])
def test_a_journal_of_another_state_is_never_folded_into_this_one(tmp_path, meta):
    path = tmp_path / "state.json"
    write_state_atomic(path, _state())
    journal = Journal.beside(path)
    journal.append(meta)
    journal.append({"phase": "end", "id": "x", "set": {"execution/theirs": {"kind": "Execution"}}})
    journal.close()
    with pytest.raises(StateError, match="journal beside the state file belongs to another"):
        read_current_state(path)


@pytest.mark.parametrize("field,value,message", [
    ("superseded", 5, "execution/na12878: superseded must be a list of objects"),
    ("superseded", [1], "execution/na12878: superseded must be a list of objects"),
    ("attempts", "x", "execution/na12878: attempts must be a whole number")])
def test_a_state_entry_with_fields_of_the_wrong_shape_is_refused(tmp_path, field, value,
                                                                   message):
    path = tmp_path / "state.json"
    document = _state().to_json()
    document["resources"]["execution/na12878"][field] = value
    path.write_text(json.dumps(document))
    with pytest.raises(StateError, match=message):
        load_state(path)


def test_a_journal_entry_of_the_wrong_shape_is_refused_when_the_state_is_read(tmp_path):
    path = tmp_path / "state.json"
    write_state_atomic(path, _state())
    journal = Journal.beside(path)
    journal.append({"phase": "end", "id": "x",
                    "set": {"execution/a": {"kind": "Execution", "superseded": 3}}})
    journal.close()
    with pytest.raises(StateError, match="journal line 1 is not a journal entry: set: "
                                         "execution/a: superseded must be a list of objects"):
        read_current_state(path)
