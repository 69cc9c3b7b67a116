"""Properties: after a perfect apply the plan is empty, with or without the state file."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from planbuild import desired, execution, live, perfect_apply, plan, workflow

from gcsapply.errors import PlanRefusedError
from gcsapply.state.file import State

NAMES = st.sampled_from(["germline", "fastqc", "somatic"])
RUN_NAMES = st.sampled_from(["na12878", "na24385", "hg002", "cohort-s1", "cohort-s2"])
SCALARS = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))


@st.composite
def workflows(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    return [workflow(name, template=b"version: genecontainer_0_1\n# "
                     + draw(st.binary(max_size=4)).hex().encode() + b"\n",
                     description=draw(st.sampled_from(["", "GATK", "QC run"])),
                     vendor=draw(st.sampled_from(["", "lab"])),
                     versioning=draw(st.sampled_from(["content", "none"])))
            for name in names]


@st.composite
def stacks(draw):
    wfs = draw(workflows())
    runs = []
    for name in draw(st.lists(RUN_NAMES, max_size=5, unique=True)):
        runs.append(execution(
            name, workflow=draw(st.sampled_from([w.name for w in wfs])),
            inputs=draw(st.dictionaries(st.sampled_from(["sample", "depth", "flag"]), SCALARS,
                                        max_size=3)),
            priority=draw(st.integers(0, 999)),
            mode=draw(st.sampled_from(["once", "untilSucceeded"])),
            rerun_token=draw(st.sampled_from(["", "again"])),
            deletion_policy=draw(st.sampled_from(["retain", "delete"])),
            desired_state=draw(st.sampled_from(["active", "cancelled"])),
            namespace=draw(st.sampled_from(["", "gene"]))))
    return desired(wfs, runs)


def _finish(live_state, status):
    """Let every live run move on (a perfect apply does not freeze time)."""
    runs = [replace(r, status=status if r.status in ("Pending", "Retrying") else r.status)
            for r in live_state.executions.values()]
    return live(live_state.workflows.values(), runs)


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(stacks(), st.sampled_from(["Pending", "Running", "Succeeded", "Cancelled"]))
def test_the_plan_after_a_perfect_apply_is_empty(stack, later_status):
    first = plan(stack)
    applied_live, applied_state = perfect_apply(first, live(), State.empty())
    applied_live = _finish(applied_live, later_status)
    again = plan(stack, applied_live, applied_state)
    assert not again.has_changes(), [(c.address, c.action, c.reason) for c in again.actionable()]
    assert not again.drift


@SETTINGS
@given(stacks(), st.sampled_from(["Running", "Succeeded"]))
def test_the_plan_after_a_perfect_apply_is_empty_without_the_state_file(stack, later_status):
    first = plan(stack)
    applied_live, _ = perfect_apply(first, live(), State.empty())
    again = plan(stack, _finish(applied_live, later_status), State.empty())
    assert not again.has_changes(), [(c.address, c.action, c.reason) for c in again.actionable()]


@SETTINGS
@given(stacks(), stacks())
def test_moving_from_one_stack_to_another_converges_in_one_apply(first_stack, second_stack):
    applied_live, applied_state = perfect_apply(plan(first_stack), live(), State.empty())
    applied_live = _finish(applied_live, "Succeeded")
    try:
        second = plan(second_stack, applied_live, applied_state)
    except PlanRefusedError as exc:  # versioning: none template change while runs use it
        if "GCS refuses a new file" not in exc.message:
            raise
        reject()
    final_live, final_state = perfect_apply(second, applied_live, applied_state)
    final_live = _finish(final_live, "Succeeded")
    again = plan(second_stack, final_live, final_state)
    assert not again.has_changes(), [(c.address, c.action, c.reason) for c in again.actionable()]
