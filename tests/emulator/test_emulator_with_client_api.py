"""The emulator through the project's own client (GcsApi over GcsSession + AkSkAuth)."""

from __future__ import annotations

import pytest
from emulator_helpers import SIMPLE

from gcsapply.errors import BadRequestError, ConflictError, NotFoundError


def test_a_run_round_trips_through_the_client(emulator, emulator_api):
    workflow = emulator_api.create_workflow({"name": "hello"}, "hello.yaml", SIMPLE.encode())
    run = emulator_api.create_execution({"name": "run-1", "workflow_id": workflow,
                                         "sfs_pvc_name": "gene-sfs", "namespace": "gene"})
    ids = emulator_api.create_executions_batch({"name": "cohort", "workflow_id": workflow,
                                                "sfs_pvc_name": "s", "inputs_json_list": [{}, {}]})
    assert len(ids) == 2
    listed = list(emulator_api.list_executions(page_size=2))
    assert sorted(i["execution"]["name"] for i in listed) == ["cohort-0", "cohort-1", "run-1"]
    emulator.clock.advance(10)
    assert emulator_api.get_execution(run)["execution"]["status"] == "Succeeded"
    assert emulator_api.get_execution_events(run)[-1]["reason"].endswith("SuccessfulFinish")
    with pytest.raises(BadRequestError) as refused:
        emulator_api.operate_execution(run, "cancel", priority=0)
    assert refused.value.error_code == "GCS.4003107"
    with pytest.raises(ConflictError):
        emulator_api.delete_workflow(workflow)
    emulator_api.delete_execution(run)
    with pytest.raises(NotFoundError):
        emulator_api.get_execution(run)


def test_cromwell_and_monitoring_through_the_client(emulator, emulator_api):
    wdl = b"workflow w {\n  call a\n}\ntask a { command { echo a } }\n"
    submitted = emulator_api.cromwell_submit({"env_name": "cromwell-env"},
                                             workflow_source=("w.wdl", wdl))
    emulator.clock.advance(3)
    assert emulator_api.cromwell_get(submitted["id"])["execution"]["status"] == "Running"
    assert emulator_api.cromwell_stop(submitted["id"])["status"] == "Aborting"
    usage = emulator_api.cromwell_resource_usage(submitted["id"], running=True, show_datapoints=True)
    assert list(usage) == ["a"] and "dataPoints" in usage["a"][0]
