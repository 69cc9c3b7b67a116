"""Default guardrails (DESIGN §4, §7b): without a Stack setting, a plan launching more than 1000
runs or deleting more than 50 objects is refused unless ``--allow-launches N`` /
``--allow-deletes N`` is given or the Stack raises the limit. Through the real CLI and the
embedded emulator; nothing is launched or deleted by a refused plan."""

from __future__ import annotations

import pytest
from apply_harness import ECHO_TEMPLATE, Gcs

STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: guarded}
spec:
  endpoint: embedded
"""
WORKFLOW = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: hello}
spec: {template: templates/hello.yaml}
"""
COHORT = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.csv
  key: sample_id
  template:
    workflow: hello
    inputs: {sample: "{{ sample.sample_id }}"}
    environment: default-cci
    namespace: gene
    sfsPvcName: gene-sfs-01
    deletionPolicy: delete
"""
# plan/build.py words the refusal; the limit and the flag that lifts it are the point here
LAUNCH_REFUSAL = ("error: the plan is refused:\n"
                  "  - the plan launches 1001 run(s), above the limit of 1000 (limits.maxLaunchesPerApply; the default is 1000); "
                  "rerun with --allow-launches 1001 if that is intended\n"
                  "  hint: fix the manifests or the flags above; nothing was changed\n")
DELETE_REFUSAL = ("error: the plan is refused:\n"
                  "  - the plan deletes 51 object(s), above the limit of 50 (limits.maxDeletesPerApply; the default is 50); "
                  "rerun with --allow-deletes 51 if that is intended\n"
                  "  hint: fix the manifests or the flags above; nothing was changed\n")


def cohort(gcs: Gcs, rows: int, *, stack: str | None = STACK) -> None:
    """A stack with one ExecutionSet of ``rows`` samples (and no Stack manifest for None)."""
    gcs.write({"stack.yaml": stack, "workflows.yaml": WORKFLOW, "templates/hello.yaml": ECHO_TEMPLATE,
               "cohort.yaml": COHORT,
               "samples.csv": "sample_id\n" + "".join(f"S{i:05d}\n" for i in range(rows))})


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys) -> Gcs:
    return Gcs(tmp_path / "prod", monkeypatch, capsys)


def refusal(result, expected: str) -> None:
    assert (result.code, result.out, result.err) == (1, "", expected)


def test_a_plan_launching_1001_runs_is_refused_by_default_and_apply_launches_nothing(gcs):
    cohort(gcs, 1001)
    refusal(gcs.run("plan", gcs.root), LAUNCH_REFUSAL)
    refusal(gcs.apply(), LAUNCH_REFUSAL)
    assert gcs.executions() == []
    assert not (gcs.root / ".gcsapply" / "state.json").exists()


def test_a_tree_without_a_stack_manifest_gets_the_default_launch_limit_too(gcs):
    cohort(gcs, 1001, stack=None)
    refusal(gcs.run("plan", gcs.root), LAUNCH_REFUSAL)


def test_1000_launches_are_within_the_default_limit(gcs):
    cohort(gcs, 1000)
    result = gcs.run("plan", gcs.root)
    assert result.code == 0, result.err
    assert result.out.endswith("Plan: 1001 to create, 0 to update, 0 to replace, 0 to retry, 0 to cancel, "
                               "0 to delete, 0 to forget.\n")


@pytest.mark.parametrize("how", ["--allow-launches 1001", "maxLaunchesPerApply: 1001",
                                 "maxLaunchesPerApply: null"])
def test_1001_launches_are_accepted_with_the_flag_or_a_stack_setting(gcs, how):
    stack = STACK + f"  limits: {{{how}}}\n" if how.startswith("max") else STACK
    cohort(gcs, 1001, stack=stack)
    result = gcs.run("plan", gcs.root, *(how.split() if how.startswith("--") else ()))
    assert result.code == 0, result.err
    assert result.out.endswith("Plan: 1002 to create, 0 to update, 0 to replace, 0 to retry, 0 to cancel, "
                               "0 to delete, 0 to forget.\n")


def test_deleting_51_runs_is_refused_by_default_and_accepted_with_allow_deletes(gcs):
    cohort(gcs, 51)
    assert gcs.apply().code == 0
    gcs.clock.advance(3600)  # every run has finished
    gcs.write({"cohort.yaml": None, "samples.csv": None})
    refusal(gcs.run("plan", gcs.root), DELETE_REFUSAL)
    refusal(gcs.apply(), DELETE_REFUSAL)
    assert len(gcs.executions()) == 51
    result = gcs.run("plan", gcs.root, "--allow-deletes", "51")
    assert result.code == 0, result.err
    assert result.out.endswith("Plan: 0 to create, 0 to update, 0 to replace, 0 to retry, 0 to cancel, "
                               "51 to delete, 0 to forget.\n")
    assert gcs.apply("--allow-deletes", "51").code == 0
    assert gcs.executions() == []
