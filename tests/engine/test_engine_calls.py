"""The engine's calls against the emulator: failures with the service's error code, skips,
unknown outcomes resolved by exact-name lookup before any resend, and priority on operates."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE

from gcsapply.client.api import GcsApi
from gcsapply.engine.calls import CallContext, perform_change
from gcsapply.engine.launch import EnvironmentResolver
from gcsapply.engine.recorder import ApplyRecorder
from gcsapply.engine.report import render_summary
from gcsapply.engine.waves import FAILED, SKIPPED, SUCCEEDED, run_waves
from gcsapply.errors import ServerError, TransportError
from gcsapply.manifest.model import ExecutionSpec, WorkflowSpec
from gcsapply.plan.build import Action, Change
from gcsapply.state import Binding, Journal, State, load_state
from gcsapply.state import journal as journal_module

STACK = "enginetest"


class FlakyApi(GcsApi):
    """The real API, except that chosen writes lose their answer (before or after the
    emulator commits them), the way a dropped connection or a 5xx does."""

    def __init__(self, session, *, drop_after: int = 0, fail_before: int = 0):
        super().__init__(session)
        self.drop_after = drop_after  # next N creates/operates commit, then lose their answer
        self.fail_before = fail_before  # next N creates/operates are answered 500, not committed
        self.sent: list[str] = []

    def create_execution(self, body):
        return self._flaky("create", lambda: super(FlakyApi, self).create_execution(body))

    def create_workflow(self, resource, filename, content):
        return self._flaky("create_workflow", lambda: super(FlakyApi, self).create_workflow(
            resource, filename, content))

    def operate_execution(self, execution_id, action, **kwargs):
        return self._flaky(action, lambda: super(FlakyApi, self).operate_execution(
            execution_id, action, **kwargs))

    def _flaky(self, what, call):
        self.sent.append(what)
        if self.fail_before:
            self.fail_before -= 1
            raise ServerError(503, "APIGW.0503", "service unavailable")
        result = call()
        if self.drop_after:
            self.drop_after -= 1
            raise TransportError("connection dropped after the request was sent")
        return result


@pytest.fixture
def api(emulator_api):
    return FlakyApi(emulator_api.session if hasattr(emulator_api, "session")
                    else emulator_api._session)


@pytest.fixture
def engine(api, emulator, tmp_path):
    state_path = tmp_path / "state.json"
    recorder = ApplyRecorder(state_path, State.empty(), emulator.clock,
                             binding=Binding("embedded", "p", STACK))

    def run(changes, parallelism=4):
        ctx = CallContext(api=api, recorder=recorder, stack_name=STACK, clock=emulator.clock,
                          stop=threading.Event(), environments=EnvironmentResolver(api),
                          workflow_gcs_names={"hello": workflow_spec().gcs_name})
        outcomes = run_waves(changes, lambda c: perform_change(c, ctx),
                             parallelism=parallelism, stop=threading.Event())
        recorder.close()
        return {o.address: o for o in outcomes}

    run.state_path = state_path
    return run


def workflow_spec(template: str = ECHO_TEMPLATE) -> WorkflowSpec:
    return WorkflowSpec(name="hello", template_path=Path("templates/hello.yaml"),
                        template_bytes=template.encode())


def execution_spec(name: str, sample: str, **extra) -> ExecutionSpec:
    return ExecutionSpec(name=name, workflow="hello", inputs={"sample": sample},
                         environment="default-cci", namespace="gene",
                         sfs_pvc_name="gene-sfs-01", **extra)


def create(spec, depends=()) -> Change:
    kind = "Workflow" if isinstance(spec, WorkflowSpec) else "Execution"
    return Change(spec.address, kind, spec.name, spec.gcs_name, None, Action.CREATE, None,
                  None, {}, (), tuple(depends), desired=spec)


def runs_named(api, gcs_name):
    return [i for i in api.list_executions(name=gcs_name) if i["execution"]["name"] == gcs_name]


def test_a_failed_create_reports_the_service_error_code_skips_dependents_and_others_continue(
        api, engine):
    broken = WorkflowSpec(name="broken", template_path=Path("b.yaml"),
                          template_bytes=b"version: genecontainer_0_1\nworkflow: 3\n")
    good = workflow_spec()
    dependent = ExecutionSpec(name="d", workflow="broken", inputs={"sample": "x"})
    independent = execution_spec("i", "s1")
    outcomes = engine([create(broken), create(good),
                       create(dependent, ["workflow/broken"]),
                       create(independent, ["workflow/hello"])])
    assert outcomes["workflow/broken"].result == FAILED
    assert outcomes["workflow/broken"].error_code.startswith("GCS.")
    assert outcomes["execution/d"].result == SKIPPED
    assert outcomes["execution/d"].message == "skipped: depends on workflow/broken, which failed"
    assert outcomes["workflow/hello"].result == SUCCEEDED
    assert outcomes["execution/i"].result == SUCCEEDED
    summary = render_summary(list(outcomes.values()))
    assert summary.startswith("Apply finished with errors: 2 succeeded, 1 failed, 1 skipped.")
    failed_line = next(line for line in summary.splitlines() if "workflow/broken" in line)
    assert outcomes["workflow/broken"].error_code in failed_line


def test_a_create_whose_answer_was_lost_after_commit_is_adopted_not_sent_again(api, engine):
    api.drop_after = 2  # the workflow and the run both commit, then their answers are lost
    spec = execution_spec("a", "s1")
    outcomes = engine([create(workflow_spec()), create(spec, ["workflow/hello"])])
    assert outcomes["execution/a"].result == SUCCEEDED
    assert outcomes["execution/a"].message == "adopted after an unknown outcome"
    assert api.sent == ["create_workflow", "create"]
    assert len(runs_named(api, spec.gcs_name)) == 1
    state = load_state(engine.state_path)
    assert state.resources["execution/a"]["gcs_id"] == outcomes["execution/a"].gcs_id


def test_a_create_answered_5xx_before_commit_is_looked_up_and_then_sent_again_once(api, engine):
    spec = execution_spec("a", "s1")
    engine([create(workflow_spec())])
    api.sent.clear()
    api.fail_before = 1
    outcomes = engine([create(spec)])
    assert outcomes["execution/a"].result == SUCCEEDED
    assert api.sent == ["create", "create"]
    assert len(runs_named(api, spec.gcs_name)) == 1


def test_the_journal_has_a_begin_and_an_end_around_every_call(api, engine):
    api.drop_after = 1
    engine([create(workflow_spec())])
    entries = Journal.beside(engine.state_path).replay()
    # compaction keeps only pending entries: none are left
    assert entries == []
    assert "workflow/hello" in load_state(engine.state_path).resources


def test_a_fsynced_begin_precedes_every_send_and_a_fsynced_end_follows_it(
        api, engine, monkeypatch):
    events = []
    original_append, original_fsync = Journal.append, journal_module.os.fsync

    def append(self, entry):
        events.append(f"write {entry['phase']}")
        original_append(self, entry)

    def fsync(fd):
        events.append("fsync")
        original_fsync(fd)

    def sent(what):
        events.append(f"send {what}")
        return what

    monkeypatch.setattr(Journal, "append", append)
    monkeypatch.setattr(journal_module.os, "fsync", fsync)
    original_flaky = api._flaky
    monkeypatch.setattr(api, "_flaky", lambda what, call: original_flaky(sent(what), call))
    api.fail_before = 1  # the first send is answered 5xx: looked up, then sent again
    engine([create(workflow_spec())])
    calls = [e for e in events if e.startswith(("write begin", "write end", "send"))]
    assert calls == ["write begin", "send create_workflow", "send create_workflow", "write end"]
    for index, event in enumerate(events):
        if event.startswith("write "):
            assert events[index + 1] == "fsync", events


def test_every_operate_carries_the_manifest_priority(api, engine, emulator):
    spec = execution_spec("a", "s1", priority=7)
    outcomes = engine([create(workflow_spec()), create(spec, ["workflow/hello"])])
    gcs_id = outcomes["execution/a"].gcs_id
    emulator.clock.advance(1)
    [live] = runs_named(api, spec.gcs_name)
    cancel = Change(spec.address, "Execution", "a", spec.gcs_name, gcs_id, Action.CANCEL, None,
                    None, None, (), desired=spec, live=live)
    api.drop_after = 1  # the cancel lands but its answer is lost: re-read, not resent
    outcomes = engine([cancel])
    assert outcomes["execution/a"].result == SUCCEEDED
    assert api.sent[-1:] == ["cancel"]
    [after] = runs_named(api, spec.gcs_name)
    assert after["execution"]["priority"] == 7
    assert after["execution"]["status"] in ("Cancelling", "Cancelled")


def test_a_cancel_refused_because_the_run_already_finished_counts_as_done(api, engine, emulator):
    spec = execution_spec("a", "s1", priority=3)
    outcomes = engine([create(workflow_spec()), create(spec, ["workflow/hello"])])
    [live] = runs_named(api, spec.gcs_name)  # planned while it was still running...
    emulator.clock.advance(600)  # ...and it finished before the cancel was sent
    cancel = Change(spec.address, "Execution", "a", spec.gcs_name,
                    outcomes["execution/a"].gcs_id, Action.CANCEL, None, None, None, (),
                    desired=spec, live=live)
    outcomes = engine([cancel])
    assert outcomes["execution/a"].result == SUCCEEDED
    [after] = runs_named(api, spec.gcs_name)
    assert after["execution"]["status"] == "Succeeded"
