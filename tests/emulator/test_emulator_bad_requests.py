"""Nasty requests get Huawei-shaped 4xx answers, never a 500 or a traceback."""

from __future__ import annotations

import pytest

from emulator_helpers import SIMPLE, assert_error


@pytest.fixture
def workflow(gcs):
    return gcs.workflow("hello", SIMPLE)


@pytest.mark.parametrize("path", ["/v1/executions", "/v1/workflows", "/v1/tools",
                                  "/v1/environments", "/v1/cromwell/executions"])
def test_an_offset_beyond_64_bits_is_a_paging_error_on_every_list(gcs, path):
    for params in ({"offset": "9" * 30, "limit": "10"}, {"offset": "9" * 30}):
        assert_error(gcs.get(path, params=params), 400, "GCS.4003007")
    assert gcs.get(path, params={"offset": str(2**63 - 1), "limit": "10"}).status_code == 200


@pytest.mark.parametrize("field,value", [("timeout", "²"), ("priority", "٣"), ("timeout", "1²")])
def test_integers_written_with_non_ascii_digits_are_refused(gcs, workflow, field, value):
    response = gcs.post("/v1/executions", json={"name": "run-1", "workflow_id": workflow,
                                                "sfs_pvc_name": "s", field: value})
    assert_error(response, 400, "GCS.4003109")


def test_a_job_retry_count_with_non_ascii_digits_is_refused(gcs, workflow):
    response = gcs.post("/v1/executions", json={
        "name": "run-1", "workflow_id": workflow, "sfs_pvc_name": "s",
        "advanced_options": {"job_retry_count": "²"}})
    assert_error(response, 400, "GCS.4003109")
