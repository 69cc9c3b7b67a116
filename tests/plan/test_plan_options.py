"""--target, --replace, limits, cost, ordering: the options of DESIGN §4."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from planbuild import actions, binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry, workflow_entry
from gcsapply.errors import PlanRefusedError, UsageError
from gcsapply.plan.build import Action, Cost
from gcsapply.state.file import State

WF = workflow()
OTHER = workflow("fastqc", template=b"version: genecontainer_0_1\n# fastqc\n")


def _cohort():
    members = [execution(f"cohort-s{i}", inputs={"sample": f"S{i}"}, set_name="cohort")
               for i in range(3)]
    return members, {"executionset/cohort": tuple(m.address for m in members)}


def test_changes_have_one_entry_per_address_sorted_by_kind_then_address():
    result = plan(desired([WF, OTHER], [execution("b"), execution("a", workflow="fastqc")]))
    keys = [(c.kind, c.address) for c in result.changes]
    assert keys == sorted(keys)
    assert [c.address for c in result.changes] == [
        "execution/a", "execution/b", "workflow/fastqc", "workflow/germline"]


def test_summary_counts_every_action():
    result = plan(desired([WF], [execution()]))
    assert {str(k): v for k, v in result.summary().items()} == {
        "create": 2, "update": 0, "replace": 0, "retry": 0, "cancel": 0, "delete": 0,
        "forget": 0, "noop": 0}


def test_target_selects_one_run_and_pulls_in_the_workflow_it_needs():
    result = plan(desired([WF, OTHER], [execution("a"), execution("b")]),
                  targets=("execution/a",))
    assert actions(result) == {"execution/a": ("create", "new"),
                               "workflow/germline": ("create", "new")}


def test_target_does_not_pull_in_a_workflow_that_needs_no_change():
    wf = live_workflow(WF)
    result = plan(desired([WF], [execution("a"), execution("b")]), live([wf]),
                  targets=("execution/a",))
    assert actions(result) == {"execution/a": ("create", "new")}


def test_target_an_execution_set_selects_its_members():
    members, sets = _cohort()
    result = plan(desired([WF], members + [execution("solo")], sets=sets),
                  targets=("executionset/cohort",))
    assert sorted(actions(result)) == ["execution/cohort-s0", "execution/cohort-s1",
                                       "execution/cohort-s2", "workflow/germline"]


def test_a_target_matching_nothing_is_an_error_with_a_suggestion():
    with pytest.raises(UsageError, match="--target execution/na12787 matches nothing") as caught:
        plan(desired([WF], [execution()]), targets=("execution/na12787",))
    assert caught.value.hint == "did you mean execution/na12878?"


def test_replace_of_an_unknown_workflow_is_an_error():
    with pytest.raises(UsageError, match="matches no workflow"):
        plan(desired([WF]), replace=("workflow/germlin",))


def test_launches_above_the_limit_are_refused():
    with pytest.raises(PlanRefusedError, match="launches 2 run.s., above the limit of 1"):
        plan(desired([WF], [execution("a"), execution("b")], max_launches_per_apply=1))


def test_allow_launches_lets_a_plan_above_the_limit_through():
    result = plan(desired([WF], [execution("a"), execution("b")], max_launches_per_apply=1),
                  allow_launches=2)
    assert result.cost.launches == 2


def test_deletes_above_the_limit_are_refused_unless_allowed():
    specs = [execution(n, deletion_policy="delete", inputs={"sample": n}) for n in "abc"]
    wf = live_workflow(WF)
    runs = [live_run(s, "Succeeded", workflow=wf) for s in specs]
    state = State(binding(), "l", 1, {s.address: execution_entry(s, gcs_id=r.id)
                                      for s, r in zip(specs, runs, strict=True)})
    stack = desired([WF], max_deletes_per_apply=2)
    with pytest.raises(PlanRefusedError, match="deletes 3 object.s., above the limit of 2"):
        plan(stack, live([wf], runs), state)
    assert plan(stack, live([wf], runs), state, allow_deletes=3).cost.deletes == 3


@dataclass
class _GraphCost:
    jobs: int
    vcpu: float
    memory_gb: float
    lower_bound: bool


class _Template:
    def __init__(self, per_run, lower_bound=False):
        self.per_run, self.lower_bound = per_run, lower_bound

    def expand(self, inputs):
        return self

    def cost(self):
        jobs = self.per_run
        return _GraphCost(jobs, 2.0 * jobs, 8.0 * jobs, self.lower_bound)


def test_the_cost_adds_up_jobs_vcpu_and_memory_of_the_launches():
    from gcsapply.plan.build import PlanOptions, build_plan
    stack = desired([WF], [execution("a"), execution("b")])
    result = build_plan(stack, live(), State.empty(), PlanOptions(),
                        templates={"workflow/germline": _Template(7)})
    assert result.cost == Cost(launches=2, jobs=14, vcpu=28.0, memory_gb=112.0,
                               lower_bound=False, deletes=0)


def test_the_cost_is_a_lower_bound_without_the_template():
    result = plan(desired([WF], [execution()]))
    assert result.cost.lower_bound and result.cost.launches == 1


def test_a_plan_with_only_noops_has_no_changes():
    wf = live_workflow(WF)
    spec = execution()
    result = plan(desired([WF], [spec]), live([wf], [live_run(spec, "Succeeded", workflow=wf)]))
    assert not result.has_changes()
    assert all(c.action is Action.NOOP for c in result.changes)


def test_destroy_plans_the_removal_of_runs_found_by_their_labels():
    spec = execution(deletion_policy="delete")
    wf = live_workflow(WF)
    result = plan(desired([WF], [spec]), live([wf], [live_run(spec, "Succeeded", workflow=wf)]),
                  destroy=True)
    assert actions(result) == {"execution/na12878": ("delete", "requested")}


def _destroy_case(applied, edited):
    wf = live_workflow(WF)
    run = live_run(applied, "Succeeded", workflow=wf)
    state = State(binding(), "lineage-1", 1,
                  {applied.address: execution_entry(applied, gcs_id=run.id)})
    return plan(desired([WF], [edited]), live([wf], [run]), state, destroy=True)


def test_destroy_keeps_a_run_whose_manifest_now_says_retain_though_state_says_delete():
    result = _destroy_case(execution(deletion_policy="delete"), execution())
    assert actions(result)["execution/na12878"] == ("forget", "requested")


def test_destroy_refuses_a_run_whose_manifest_now_says_prevent_destroy():
    with pytest.raises(PlanRefusedError, match="execution/na12878: lifecycle.preventDestroy"):
        _destroy_case(execution(deletion_policy="delete"),
                      execution(deletion_policy="delete", prevent_destroy=True))


def test_destroy_refuses_a_workflow_whose_manifest_now_says_prevent_destroy():
    wf = live_workflow(WF)
    state = State(binding(), "lineage-1", 1,
                  {WF.address: workflow_entry(WF, gcs_id=wf.id, created=True)})
    with pytest.raises(PlanRefusedError, match="workflow/germline: lifecycle.preventDestroy"):
        plan(desired([workflow(prevent_destroy=True)]), live([wf]), state, destroy=True)
