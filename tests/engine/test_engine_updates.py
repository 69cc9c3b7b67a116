"""What an update sends is decided from the typed spec and live object, never from the diff."""

from __future__ import annotations

import pytest
from planbuild import TEMPLATE, execution, live_run, live_workflow, workflow

from gcsapply.engine.updates import priority_to_update, template_to_upload, workflow_fields_to_update

V2 = TEMPLATE + b"# version 2\n"


@pytest.mark.parametrize("status", ["Pending", "Running", "Retrying"])
def test_a_differing_priority_is_sent_while_the_run_can_still_change(status):
    run = live_run(execution(priority=1), status)
    assert priority_to_update(execution(priority=5), run) == 5


@pytest.mark.parametrize("status", ["Succeeded", "Failed", "Cancelled", "Cancelling"])
def test_a_policy_change_on_a_finished_run_sends_no_priority_even_when_it_differs(status):
    run = live_run(execution(priority=1), status)
    assert priority_to_update(execution(priority=5, deletion_policy="delete"), run) is None


def test_an_equal_priority_is_not_sent():
    spec = execution(priority=3)
    assert priority_to_update(spec, live_run(spec, "Running")) is None


def test_only_the_workflow_fields_that_differ_are_sent():
    live = live_workflow(workflow(description="old", vendor="lab"))
    assert workflow_fields_to_update(workflow(description="new", vendor="lab"), live) == {
        "description": "new"}
    assert workflow_fields_to_update(workflow(description="old", vendor="other"), live) == {
        "vendor": "other"}


def test_a_vendor_the_manifest_leaves_empty_is_never_sent():
    live = live_workflow(workflow(), vendor="tenant-name")
    assert workflow_fields_to_update(workflow(), live) == {}


def test_a_template_is_uploaded_only_under_versioning_none_when_the_known_digest_differs():
    old, new = workflow(versioning="none"), workflow(versioning="none", template=V2)
    assert template_to_upload(new, live_workflow(old))
    assert not template_to_upload(old, live_workflow(old))
    assert not template_to_upload(new, live_workflow(old, digest=None))  # unverified: left alone
    content = workflow(template=V2)
    assert not template_to_upload(content, live_workflow(workflow(), digest=workflow().digest))
