"""Workflow rules of DESIGN §2/§4: content versions, updates, old versions, removal."""

from __future__ import annotations

import hashlib

import pytest
from planbuild import TEMPLATE, actions, binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry, workflow_entry
from gcsapply.errors import PlanRefusedError
from gcsapply.plan.build import Action, Reason
from gcsapply.state.file import State

V2 = TEMPLATE + b"# version 2\n"


def _state(*entries) -> State:
    kinds = {"Workflow": "workflow", "Execution": "execution"}
    return State(binding(), "lineage-1", 7,
                 {f"{kinds[e['kind']]}/{e['name']}": e for e in entries})


def test_a_content_versioned_workflow_is_named_by_its_template_digest():
    spec = workflow()
    digest = hashlib.sha256(TEMPLATE).hexdigest()
    assert spec.gcs_name == f"germline-{digest[:8]}"
    assert spec.upload_filename == f"germline-{digest[:8]}.yaml"
    change = plan(desired([spec])).change("workflow/germline")
    assert (change.action, change.reason) == (Action.CREATE, Reason.NEW)
    assert change.gcs_name == spec.gcs_name and change.after["digest"] == digest


def test_under_versioning_none_the_gcs_name_is_the_manifest_name():
    spec = workflow(versioning="none")
    assert plan(desired([spec])).change("workflow/germline").gcs_name == "germline"


def test_a_template_change_creates_a_new_version_and_keeps_the_old_one_while_in_use():
    old_spec, new_spec = workflow(), workflow(template=V2)
    old = live_workflow(old_spec)
    run_spec = execution()
    run = live_run(run_spec, "Succeeded", workflow=old)
    state = _state(workflow_entry(old_spec, gcs_id=old.id, created=True),
                   execution_entry(run_spec, gcs_id=run.id, workflow_id=old.id))
    result = plan(desired([new_spec], [run_spec]), live([old], [run]), state)
    assert actions(result) == {
        "execution/na12878": ("noop", None),
        "workflow/germline": ("create", "new-version"),
        f"workflow/germline#{old.name}": ("noop", "in-use")}


def test_an_unreferenced_old_version_this_stack_created_is_deleted():
    old_spec, new_spec = workflow(), workflow(template=V2)
    old, new = live_workflow(old_spec), live_workflow(new_spec)
    entry = workflow_entry(new_spec, gcs_id=new.id, created=True,
                           versions=[{"gcs_id": old.id, "gcs_name": old.name,
                                      "digest": old_spec.digest, "created": True}])
    result = plan(desired([new_spec]), live([old, new]), _state(entry))
    change = result.change(f"workflow/germline#{old.name}")
    assert (change.action, change.reason) == (Action.DELETE, Reason.SUPERSEDED)


def test_an_old_version_this_stack_did_not_create_is_never_deleted():
    old_spec, new_spec = workflow(), workflow(template=V2)
    old, new = live_workflow(old_spec), live_workflow(new_spec)
    entry = workflow_entry(new_spec, gcs_id=new.id, created=True,
                           versions=[{"gcs_id": old.id, "gcs_name": old.name,
                                      "digest": old_spec.digest, "created": False}])
    result = plan(desired([new_spec]), live([old, new]), _state(entry))
    assert actions(result)[f"workflow/germline#{old.name}"] == ("forget", "superseded")


def test_a_version_referenced_by_someone_elses_run_stays():
    old_spec, new_spec = workflow(), workflow(template=V2)
    old, new = live_workflow(old_spec), live_workflow(new_spec)
    foreign = live_run(execution(name="theirs"), "Running", workflow=old, stack_name="other")
    entry = workflow_entry(new_spec, gcs_id=new.id, created=True,
                           versions=[{"gcs_id": old.id, "gcs_name": old.name,
                                      "digest": old_spec.digest, "created": True}])
    result = plan(desired([new_spec]), live([old, new], [foreign]), _state(entry))
    assert actions(result)[f"workflow/germline#{old.name}"] == ("noop", "in-use")


def test_a_version_whose_only_runs_this_plan_deletes_is_deleted_after_them():
    spec = workflow()
    wf = live_workflow(spec)
    run_spec = execution(deletion_policy="delete")
    run = live_run(run_spec, "Succeeded", workflow=wf)
    state = _state(workflow_entry(spec, gcs_id=wf.id, created=True),
                   execution_entry(run_spec, gcs_id=run.id, workflow_id=wf.id))
    result = plan(desired(), live([wf], [run]), state)
    assert actions(result) == {"execution/na12878": ("delete", "removed-from-manifests"),
                               "workflow/germline": ("delete", "removed-from-manifests")}
    assert result.change("workflow/germline").depends_on == ("execution/na12878",)


def test_a_removed_workflow_still_referenced_is_forgotten():
    spec = workflow()
    wf = live_workflow(spec)
    run_spec = execution()
    run = live_run(run_spec, "Succeeded", workflow=wf)
    state = _state(workflow_entry(spec, gcs_id=wf.id, created=True),
                   execution_entry(run_spec, gcs_id=run.id, workflow_id=wf.id))
    result = plan(desired(), live([wf], [run]), state)
    assert actions(result) == {"execution/na12878": ("forget", "removed-from-manifests"),
                               "workflow/germline": ("forget", "in-use")}


def test_prevent_destroy_refuses_deleting_a_removed_workflow():
    spec = workflow(prevent_destroy=True)
    wf = live_workflow(spec)
    with pytest.raises(PlanRefusedError, match="workflow/germline: lifecycle.preventDestroy"):
        plan(desired(), live([wf]), _state(workflow_entry(spec, gcs_id=wf.id, created=True)))


@pytest.mark.parametrize("field,value", [("description", "GATK germline v2"),
                                         ("vendor", "genomics-lab")])
def test_description_and_vendor_update_in_place(field, value):
    spec = workflow(**{field: value})
    wf = live_workflow(workflow())
    change = plan(desired([spec]), live([wf])).change("workflow/germline")
    assert (change.action, change.reason) == (Action.UPDATE, Reason.FIELDS_CHANGED)
    assert [(d.path, d.before, d.after) for d in change.diff] == [(field, "", value)]


def test_a_manifest_without_vendor_leaves_the_services_default_vendor_alone():
    wf = live_workflow(workflow(), vendor="tenant-name")
    assert plan(desired([workflow()]), live([wf])).change("workflow/germline").action \
        is Action.NOOP


def test_under_versioning_none_a_template_change_is_an_in_place_update():
    old_spec, spec = workflow(versioning="none"), workflow(versioning="none", template=V2)
    wf = live_workflow(old_spec)
    change = plan(desired([spec]), live([wf])).change("workflow/germline")
    assert change.action is Action.UPDATE
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("digest", old_spec.digest, spec.digest)]


def test_under_versioning_none_state_vouches_for_the_digest_while_update_at_matches():
    old_spec, spec = workflow(versioning="none"), workflow(versioning="none", template=V2)
    wf = live_workflow(old_spec, digest=None)
    entry = workflow_entry(old_spec, gcs_id=wf.id, created=True, update_at=wf.update_at)
    change = plan(desired([spec]), live([wf]), _state(entry)).change("workflow/germline")
    assert [d.path for d in change.diff] == ["digest"]
    assert change.live.digest == old_spec.digest  # apply uploads from this, not from the diff


def test_versioning_none_template_update_is_refused_when_runs_use_the_workflow():
    old_spec, spec = workflow(versioning="none"), workflow(versioning="none", template=V2)
    wf = live_workflow(old_spec)
    run = live_run(execution(), "Succeeded", workflow=wf)
    with pytest.raises(PlanRefusedError, match="1 run.s. in GCS use workflow germline"):
        plan(desired([spec]), live([wf], [run]))


def test_a_current_version_deleted_outside_is_created_again_with_drift():
    spec = workflow()
    entry = workflow_entry(spec, gcs_id="gone", created=True)
    result = plan(desired([spec]), live(), _state(entry))
    assert actions(result)["workflow/germline"] == ("create", "new")
    assert [(d.address, d.observation) for d in result.drift] == [
        ("workflow/germline", "deleted-outside")]


def test_an_old_version_deleted_outside_is_forgotten():
    new_spec = workflow(template=V2)
    new = live_workflow(new_spec)
    entry = workflow_entry(new_spec, gcs_id=new.id, created=True,
                           versions=[{"gcs_id": "gone", "gcs_name": "germline-00000000",
                                      "digest": "0" * 64, "created": True}])
    result = plan(desired([new_spec]), live([new]), _state(entry))
    assert actions(result)["workflow/germline#germline-00000000"] == (
        "forget", "deleted-outside")


def test_a_prevent_destroy_edit_alone_is_a_state_only_update():
    spec = workflow(prevent_destroy=True)
    wf = live_workflow(spec)
    entry = workflow_entry(workflow(), gcs_id=wf.id, created=True)
    change = plan(desired([spec]), live([wf]), _state(entry)).change("workflow/germline")
    assert (change.action, change.reason) == (Action.UPDATE, Reason.POLICY_CHANGED)
    assert [(d.path, d.before, d.after) for d in change.diff] == [("prevent_destroy", False, True)]


def test_replace_of_a_workflow_is_planned_as_requested():
    spec = workflow()
    wf = live_workflow(spec)
    result = plan(desired([spec]), live([wf]), replace=("workflow/germline",))
    assert actions(result)["workflow/germline"] == ("replace", "requested")


def test_replace_of_a_workflow_in_use_is_refused():
    spec = workflow()
    wf = live_workflow(spec)
    run = live_run(execution(), "Running", workflow=wf)
    with pytest.raises(PlanRefusedError, match="cannot replace it"):
        plan(desired([spec], [execution()]), live([wf], [run]), replace=("workflow/germline",))


def test_targeting_a_workflow_never_pulls_in_the_deletion_of_runs_that_were_not_targeted():
    spec = workflow()
    wf = live_workflow(spec)
    run_spec = execution(deletion_policy="delete")
    run = live_run(run_spec, "Succeeded", workflow=wf)
    state = _state(workflow_entry(spec, gcs_id=wf.id, created=True),
                   execution_entry(run_spec, gcs_id=run.id, workflow_id=wf.id))
    result = plan(desired(), live([wf], [run]), state, targets=("workflow/germline",))
    assert actions(result) == {"workflow/germline": ("forget", "in-use")}
