"""The lifecycle as a pure function: transition table and simulate() driven directly."""

from __future__ import annotations

import pytest
import requests

from gcsapply.emulator import EmulatorServer, lifecycle
from gcsapply.emulator.lifecycle import TRANSITIONS, Facts, allowed, simulate
from gcsapply.template.parse import parse_template

TWO_STEPS = """\
version: genecontainer_0_1
workflow:
  a: {tool: x:1, commands: ["echo a"]}
  b: {tool: x:1, commands: ["echo b", "echo c"], depends: [{target: a}]}
"""


@pytest.mark.parametrize("operation,status,ok", [
    ("cancel", "Pending", True), ("cancel", "Running", True), ("cancel", "Failed", False),
    ("retry", "Failed", True), ("retry", "Cancelled", True), ("retry", "Succeeded", False),
    ("retry", "Running", False), ("update", "Retrying", True), ("update", "Cancelled", False),
    ("delete", "Running", False)])
def test_the_transition_table_says_which_operation_is_allowed_from_which_status(
        operation, status, ok):
    assert allowed(operation, status) is ok
    assert set(TRANSITIONS) == {"cancel", "retry", "update"}


def _facts(**kwargs) -> Facts:
    return Facts("run", "e19d3faf-9f04-9685-e5c0-fbe8d40b96cd", 100.0, 5.0, 1.0, **kwargs)


def test_simulate_is_a_pure_function_of_facts_and_time():
    graph = parse_template(TWO_STEPS).expand({})
    timeline = [(t, simulate(graph, _facts(), t).status) for t in (100, 101, 105.9, 111)]
    assert timeline == [(100, "Pending"), (101, "Running"), (105.9, "Running"), (111, "Succeeded")]
    again = simulate(graph, _facts(), 111)
    assert [e.kind for e in again.events] == [e.kind for e in simulate(graph, _facts(), 111).events]
    assert again.next_change_at is None
    assert simulate(graph, _facts(), 103).next_change_at == 106


def test_zero_second_jobs_finish_at_once():
    graph = parse_template(TWO_STEPS).expand({})
    facts = Facts("run", "e19d3faf-9f04-9685-e5c0-fbe8d40b96cd", 100.0, 0.0, 0.0)
    assert simulate(graph, facts, 100).status == "Succeeded"


def test_operations_apply_at_their_time():
    graph = parse_template(TWO_STEPS).expand({})
    cancelled = _facts(ops=[{"action": "cancel", "at": 103.0}])
    assert simulate(graph, cancelled, 103).status == "Cancelling"
    assert simulate(graph, cancelled, 106).status == "Cancelled"
    assert simulate(graph, cancelled, 102).status == "Running"  # the past is unchanged


def test_a_served_emulator_keeps_its_clock_offset_across_restarts(tmp_path):
    db = tmp_path / "served.sqlite"
    with EmulatorServer(db) as first:
        requests.post(first.url + "/_emulator/clock", json={"advance_s": 3600}, timeout=10)
        assert first.clock.offset == 3600
    with EmulatorServer(db) as second:
        assert second.clock.offset == 3600


GET_RESULT = """\
version: genecontainer_0_1
workflow:
  a: {tool: x:1, commands: ["echo 1 2 3"]}
  b:
    tool: x:1
    commands_iter:
      command: echo ${1}
      vars_iter: ['get_result(a, " ")']
    depends: [{target: a}]
"""


def test_a_retry_after_a_failed_run_time_expansion_decides_the_step_again(monkeypatch):
    graph = parse_template(GET_RESULT).expand({})
    monkeypatch.setattr(lifecycle, "MAX_RESULT_BYTES", 3)  # a's stdout "1 2 3\n" is too large
    failed = simulate(graph, _facts(), 200)
    assert failed.status == "Failed" and failed.steps["b"].error
    retried = simulate(graph, _facts(ops=[{"action": "retry", "at": 200.0}]), 300)
    assert retried.status == "Failed"  # b is expanded again and fails again; it never "succeeds"
    assert [e.kind for e in retried.events].count("StepFailed") == 2
    assert not retried.steps["b"].finished
    monkeypatch.setattr(lifecycle, "MAX_RESULT_BYTES", 1024)
    assert [len(s.jobs) for s in simulate(graph, _facts(), 200).steps.values()] == [1, 3]
