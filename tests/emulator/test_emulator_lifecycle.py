"""What a GCS user sees as the clock advances: statuses, node counts, events, retry, cancel."""

from __future__ import annotations

import pytest
from emulator_helpers import KUBEGENE, Gcs, assert_error

from gcsapply.emulator import EmulatorServer
from gcsapply.emulator.lifecycle import ALL_STATUSES

PIPELINE = """\
version: genecontainer_0_1
inputs:
  code: {type: number, default: 3}
workflow:
  prepare:
    tool: zsplit:0.2
    commands: ["echo ready"]
  align:
    tool: bwa:0.7.12
    commands_iter:
      command: echo ${1}-${2}
      vars_iter: [[a, b, c], [1, 2]]
    depends: [{target: prepare, type: whole}]
  sort:
    tool: samtools:1.9
    commands_iter:
      command: echo sorted ${1}
      vars_iter:
        - range(0, 6)
    depends: [{target: align, type: iterate}]
  qc:
    tool: fastqc:0.11.9
    condition: check_result(prepare, "ready")
    commands: ["echo qc ok"]
    depends: [{target: prepare, type: whole}]
  never:
    tool: fastqc:0.11.9
    condition: check_result(prepare, "broken")
    commands: ["echo unreachable"]
    depends: [{target: prepare, type: whole}]
  merge:
    tool: picard:2.18.2
    commands: ["exit ${code}"]
    depends: [{target: sort}, {target: qc}]
  publish:
    tool: bcftools:1.9
    commands: ["echo published"]
    depends: [{target: merge}]
"""


def nodes(view: dict) -> dict:
    """(status, finished sub-jobs, sub-jobs) per step; every status is one of SDK table 3-21's."""
    steps = view["status"]["actual_node_status"]
    for step in steps.values():
        assert {step["status"], *step.get("sub_job_status", {}).values()} <= set(ALL_STATUSES), step
    return {name: (s["status"], s["finished_sub_job_num"], s["sub_job_num"]) for name, s in steps.items()}


def reasons(gcs: Gcs, execution_id: str) -> list[str]:
    events = gcs.get(f"/v1/executions/{execution_id}/events").json()
    return [f"{e['elemId']}:{e['reason'].split('##')[1]}" for e in events]


def test_a_fan_out_with_iterate_condition_and_exit_3_fails_as_the_clock_advances(emulator, gcs):
    run = gcs.launch(gcs.workflow("pipeline", PIPELINE), "pipeline-run")
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Pending"
    assert view["object"]["status"]["actionName"] == "create"
    assert view["object"]["status"]["objectStatus"]["phase"] == "Pending"
    assert view["status"]["node_number"] == 7
    assert nodes(view)["align"] == ("Pending", 0, 6)
    assert nodes(view)["qc"] == ("Pending", 0, 0)  # decided once prepare has finished

    emulator.clock.advance(1)  # pending 1 s, then jobs of 5 s each
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Running"
    assert nodes(view)["prepare"] == ("Running", 0, 1)

    emulator.clock.advance(5)  # t=6: prepare done; align fans out 3x2; qc runs; never is skipped
    view = gcs.execution(run)
    assert nodes(view) == {"prepare": ("Succeeded", 1, 1), "align": ("Running", 0, 6),
                           "sort": ("Pending", 0, 6), "qc": ("Running", 0, 1),
                           "never": ("Succeeded", 0, 0), "merge": ("Pending", 0, 1),
                           "publish": ("Pending", 0, 1)}
    assert view["status"]["finished_node_number"] == 2
    assert sorted(view["status"]["actual_node_status"]["align"]["sub_job_status"].values()) == \
        ["Running"] * 6

    emulator.clock.advance(5)  # t=11: sort job i follows align job i
    assert nodes(gcs.execution(run))["sort"] == ("Running", 0, 6)
    emulator.clock.advance(5)  # t=16: merge starts
    view = gcs.execution(run)
    assert view["status"]["finished_node_number"] == 5
    assert nodes(view)["merge"] == ("Running", 0, 1)

    emulator.clock.advance(5)  # t=21: merge ran `exit 3`
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Failed"
    assert view["object"]["status"]["objectStatus"]["phase"] == "Failed"
    assert nodes(view)["merge"] == ("Failed", 0, 1)
    assert nodes(view)["publish"] == ("Pending", 0, 1)
    assert view["status"]["finished_node_number"] == 5
    assert view["execution"]["time_duration"] == 20
    assert reasons(gcs, run) == [
        "pipeline-run:Initialized", "pipeline-run:Started", "prepare:StepStarted",
        "prepare:StepSucceeded", "never:StepSkipped", "align:StepStarted", "qc:StepStarted",
        "align:StepSucceeded", "qc:StepSucceeded", "sort:StepStarted", "sort:StepSucceeded",
        "merge:StepStarted", "merge:JobFailed", "merge:StepFailed", "pipeline-run:FailedFinish"]
    events = gcs.get(f"/v1/executions/{run}/events").json()
    failed = [e for e in events if e["reason"].endswith("JobFailed")][0]
    assert failed["type"] == "Warning" and "exited with code 3" in failed["message"]
    assert failed["reason"] == "任务失败##JobFailed" and failed["elemType"] == "GCS.Job"

    emulator.clock.advance(600)  # nothing changes any more by itself
    assert gcs.execution(run)["execution"]["status"] == "Failed"


def test_retry_after_the_failure_reruns_only_failed_and_never_run_jobs(emulator, gcs):
    run = gcs.launch(gcs.workflow("pipeline", PIPELINE), "pipeline-run")
    emulator.clock.advance(30)
    assert gcs.execution(run)["execution"]["status"] == "Failed"
    response = gcs.put(f"/v1/executions/{run}", json={"action": "retry", "inputs_json": {"code": 0}})
    assert response.status_code == 200 and response.json() == {"id": run}

    view = gcs.execution(run)
    assert view["execution"]["status"] == "Retrying"
    assert nodes(view)["merge"] == ("Retrying", 0, 1)
    emulator.clock.advance(1)
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Running"
    assert nodes(view)["merge"] == ("Running", 0, 1)
    assert nodes(view)["align"] == ("Succeeded", 6, 6)  # kept, not re-run
    emulator.clock.advance(10)
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Succeeded"
    assert view["status"]["finished_node_number"] == 7
    assert view["execution"]["inputs_json"] == '{"code": 0}'
    after_retry = reasons(gcs, run)
    after_retry = after_retry[after_retry.index("pipeline-run:RetryRequested"):]
    assert after_retry == ["pipeline-run:RetryRequested", "pipeline-run:Restarted",
                           "merge:StepStarted", "merge:StepSucceeded", "publish:StepStarted",
                           "publish:StepSucceeded", "pipeline-run:SuccessfulFinish"]
    assert gcs.get(f"/v1/executions/{run}/inputs").json()["inputs"]["code"]["value"] == 0


ITERATE = """\
version: genecontainer_0_1
inputs:
  code: {type: number, default: 1}
workflow:
  align:
    tool: bwa:0.7.12
    commands: ["echo a", "exit ${code}"]
  sort:
    tool: samtools:1.9
    commands: ["echo s0", "echo s1"]
    depends: [{target: align, type: iterate}]
"""


def test_an_iterate_job_starts_when_its_partner_finishes_not_the_whole_step(emulator, gcs):
    run = gcs.launch(gcs.workflow("pairs", ITERATE), "pairs-run")
    emulator.clock.advance(6)
    assert gcs.execution(run)["execution"]["status"] == "Failed"
    assert nodes(gcs.execution(run))["sort"] == ("Pending", 0, 2)  # nothing new after a failure
    gcs.put(f"/v1/executions/{run}", json={"action": "retry", "inputs_json": {"code": 0}})
    emulator.clock.advance(1)
    jobs = gcs.execution(run)["status"]["actual_node_status"]
    assert sorted(jobs["align"]["sub_job_status"].values()) == ["Running", "Succeeded"]
    assert sorted(jobs["sort"]["sub_job_status"].values()) == ["Pending", "Running"]
    emulator.clock.advance(5)
    jobs = gcs.execution(run)["status"]["actual_node_status"]
    assert sorted(jobs["sort"]["sub_job_status"].values()) == ["Running", "Succeeded"]
    emulator.clock.advance(5)
    assert gcs.execution(run)["execution"]["status"] == "Succeeded"


def test_cancel_lets_running_jobs_finish_then_the_run_is_cancelled(emulator, gcs):
    run = gcs.launch(gcs.workflow("pipeline", PIPELINE), "pipeline-run")
    emulator.clock.advance(8)  # align is running (t=6..11)
    assert gcs.put(f"/v1/executions/{run}", json={"action": "cancel"}).status_code == 200
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Cancelling"
    assert nodes(view)["align"] == ("Cancelling", 0, 6)
    emulator.clock.advance(3)
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Cancelled"
    assert nodes(view)["align"] == ("Succeeded", 6, 6)
    assert nodes(view)["sort"] == ("Cancelled", 0, 6)
    assert reasons(gcs, run)[-4:] == ["pipeline-run:CancelRequested", "align:StepSucceeded",
                                      "qc:StepSucceeded", "pipeline-run:Cancelled"]
    assert_error(gcs.put(f"/v1/executions/{run}", json={"action": "cancel"}), 400, "GCS.4003107")
    gcs.put(f"/v1/executions/{run}", json={"action": "retry", "inputs_json": {"code": 0}})
    emulator.clock.advance(20)
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Succeeded"
    assert nodes(view)["align"] == ("Succeeded", 6, 6)


def test_a_pending_run_cancelled_is_cancelled_at_once(emulator, gcs):
    run = gcs.launch(gcs.workflow("pipeline", PIPELINE), "pipeline-run")
    gcs.put(f"/v1/executions/{run}", json={"action": "cancel"})
    assert gcs.execution(run)["execution"]["status"] == "Cancelled"


@pytest.mark.parametrize("name", sorted(p.name for p in KUBEGENE.glob("*.yaml")
                                        if p.name != "generic-condition-workflow.yaml"))
def test_the_kubegene_templates_run_to_succeeded(emulator, gcs, name):
    run = gcs.launch(gcs.workflow("kubegene", (KUBEGENE / name).read_bytes()), "kubegene-run")
    emulator.clock.advance(1)
    assert gcs.execution(run)["execution"]["status"] == "Running"
    emulator.clock.advance(3600)
    view = gcs.execution(run)
    assert view["execution"]["status"] == "Succeeded", nodes(view)
    assert view["status"]["finished_node_number"] == view["status"]["node_number"]
    assert {s[0] for s in nodes(view).values()} == {"Succeeded"}


def test_get_result_fans_out_over_the_upstream_stdout(emulator, gcs):
    run = gcs.launch(gcs.workflow("getresult",
                                  (KUBEGENE / "simple-sample-getresult.yaml").read_bytes()), "gr")
    emulator.clock.advance(100)
    jobmod = gcs.execution(run)["status"]["actual_node_status"]["jobmod"]
    assert jobmod["sub_job_num"] == 3  # `echo 1 2 3 ` split on " "


def test_a_restarted_emulator_continues_runs_where_its_clock_says(tmp_path, emulator_clock):
    db = tmp_path / "restart.sqlite"
    with EmulatorServer(db, clock=emulator_clock) as first:
        gcs = Gcs(first)
        run = gcs.launch(gcs.workflow("pipeline", PIPELINE), "pipeline-run")
        emulator_clock.advance(7)
        assert nodes(gcs.execution(run))["align"] == ("Running", 0, 6)
    emulator_clock.advance(5)
    with EmulatorServer(db, clock=emulator_clock) as second:
        gcs = Gcs(second)
        assert nodes(gcs.execution(run))["sort"] == ("Running", 0, 6)
        emulator_clock.advance(100)
        assert gcs.execution(run)["execution"]["status"] == "Failed"
