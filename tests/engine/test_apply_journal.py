"""What a crash leaves in the journal is resolved by exact-name lookups on the next apply."""

from __future__ import annotations

from pathlib import Path

from apply_harness import ECHO_TEMPLATE

from gcsapply.engine.recorder import ApplyRecorder, resolve_pending
from gcsapply.live.model import LiveExecution
from gcsapply.manifest.model import DesiredStack, ExecutionSpec, StackSpec, WorkflowSpec
from gcsapply.plan.build import Action, Change
from gcsapply.state import Binding, Journal, State, load_state, pending_entries

STACK = "journaltest"


def desired_with(*executions) -> DesiredStack:
    workflow = WorkflowSpec(name="hello", template_path=Path("t.yaml"),
                            template_bytes=ECHO_TEMPLATE.encode())
    return DesiredStack(stack=StackSpec(name=STACK, root=Path(".")),
                        workflows={workflow.address: workflow},
                        executions={spec.address: spec for spec in executions})


def spec(name, sample):
    return ExecutionSpec(name=name, workflow="hello", inputs={"sample": sample},
                         environment="default-cci", namespace="gene", sfs_pvc_name="pvc")


def pending_launch(recorder, execution: ExecutionSpec) -> None:
    change = Change(execution.address, "Execution", execution.name, execution.gcs_name, None,
                    Action.CREATE, None, None, {}, desired=execution)
    recorder.begin(change, "create_execution", labels=execution.gcs_labels(STACK))


def test_a_launch_that_landed_before_the_crash_is_adopted_and_one_that_did_not_is_dropped(
        emulator_api, emulator, tmp_path):
    landed, lost = spec("landed", "s1"), spec("lost", "s2")
    workflow_id = emulator_api.create_workflow({"name": "hello-x"}, "hello-x.yaml",
                                               ECHO_TEMPLATE.encode())
    gcs_id = emulator_api.create_execution({
        "name": landed.gcs_name, "workflow_id": workflow_id, "sfs_pvc_name": "pvc",
        "namespace": "gene", "label": landed.gcs_labels(STACK)})
    state_path = tmp_path / "state.json"
    binding = Binding("embedded", "p", STACK)
    crashed = ApplyRecorder(state_path, State.empty(), emulator.clock, binding=binding)
    pending_launch(crashed, landed)
    pending_launch(crashed, lost)
    crashed.journal.close()  # the process dies here: no end lines, no compaction
    assert len(Journal.beside(state_path).pending()) == 2

    recorder = ApplyRecorder(state_path, State.empty(), emulator.clock, binding=binding)
    notes = resolve_pending(Journal.beside(state_path).pending(), emulator_api, recorder,
                            desired_with(landed, lost))
    state = recorder.close()
    assert notes == [
        f"execution/landed: an interrupted launch of {landed.gcs_name} was found and adopted",
        f"execution/lost: an interrupted launch of {lost.gcs_name} never happened; "
        "planned again"]
    assert state.resources["execution/landed"]["gcs_id"] == gcs_id
    assert "execution/lost" not in state.resources
    assert pending_entries(Journal.beside(state_path).replay()) == []
    assert load_state(state_path).lineage is not None


def test_a_same_named_run_without_our_labels_is_not_adopted(emulator_api, emulator, tmp_path):
    mine = spec("mine", "s1")
    workflow_id = emulator_api.create_workflow({"name": "hello-x"}, "hello-x.yaml",
                                               ECHO_TEMPLATE.encode())
    emulator_api.create_execution({"name": mine.gcs_name, "workflow_id": workflow_id,
                                   "sfs_pvc_name": "pvc", "namespace": "gene",
                                   "label": {"gcsapply-stack": "someone-else"}})
    recorder = ApplyRecorder(tmp_path / "state.json", State.empty(), emulator.clock)
    pending_launch(recorder, mine)
    [note] = resolve_pending(recorder.journal.pending(), emulator_api, recorder,
                             desired_with(mine))
    assert note.endswith("never happened; planned again")
    assert "execution/mine" not in recorder.close().resources


def test_a_noop_that_state_already_knows_writes_no_journal_line(tmp_path):
    from gcsapply.clock import ManualClock
    from gcsapply.engine.record_changes import execution_entry

    run = spec("na12878", "NA12878")
    state = State.empty()
    state.resources[run.address] = execution_entry(run, gcs_id="run-1")
    recorder = ApplyRecorder(tmp_path / "state.json", state, ManualClock())
    noop = Change(run.address, "Execution", run.name, run.gcs_name, "run-1", Action.NOOP,
                  None, None, None, desired=run)
    recorder.record(noop)
    assert recorder.entries_written == 0
    adopted = spec("hg002", "HG002")
    recorder.record(Change(adopted.address, "Execution", adopted.name, adopted.gcs_name, "run-2",
                           Action.NOOP, None, None, None, desired=adopted,
                           live=LiveExecution.from_item({"execution": {
                               "guid": "run-2", "name": adopted.gcs_name, "workflow_id": "wf-1"}})))
    assert recorder.entries_written == 1  # the adoption: state learns the run
    assert recorder.resources[adopted.address]["gcs_id"] == "run-2"
