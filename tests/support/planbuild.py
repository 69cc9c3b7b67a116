"""Builders for plan tests: desired stacks, live records, and a perfect apply simulated in memory.

``perfect_apply`` carries out a plan against a :class:`LiveState` the way a flawless apply
would, and updates the state with :func:`gcsapply.engine.record_changes.state_updates` — so the
property "the plan after a perfect apply is empty" exercises the real state bookkeeping.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from gcsapply.engine.record_changes import state_updates
from gcsapply.live.model import LiveExecution, LiveState, LiveWorkflow
from gcsapply.manifest.model import DesiredStack, ExecutionSpec, RunPolicy, StackSpec, WorkflowSpec
from gcsapply.plan.build import Action, PlanOptions, build_plan
from gcsapply.state.file import Binding, State

STACK = "genomics-prod"
TEMPLATE = b"version: genecontainer_0_1\ninputs: {sample: {type: string}}\nworkflow: {}\n"


def stack(**overrides) -> StackSpec:
    return StackSpec(name=STACK, root=Path("/stack"), **overrides)


def workflow(name="germline", template=TEMPLATE, **overrides) -> WorkflowSpec:
    return WorkflowSpec(name=name, template_path=Path(f"/stack/templates/{name}.yaml"),
                        template_bytes=template, **overrides)


def execution(name="na12878", workflow="germline", inputs=None, *, mode="once", max_retries=2,
              rerun_token="", **overrides) -> ExecutionSpec:
    return ExecutionSpec(name=name, workflow=workflow,
                         inputs={"sample": "NA12878"} if inputs is None else inputs,
                         run_policy=RunPolicy(mode, max_retries, rerun_token), **overrides)


def desired(workflows=(), executions=(), sets=None, **stack_overrides) -> DesiredStack:
    return DesiredStack(stack=stack(**stack_overrides),
                        workflows={w.address: w for w in workflows},
                        executions={e.address: e for e in executions}, sets=sets or {})


def gcs_id(text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def live_workflow(spec: WorkflowSpec, **overrides) -> LiveWorkflow:
    fields = dict(id=gcs_id("wf:" + spec.gcs_name), name=spec.gcs_name,
                  description=spec.description, vendor=spec.vendor, update_at="t0",
                  digest=spec.digest if spec.versioning == "none" else None)
    fields.update(overrides)
    return LiveWorkflow(**fields)


def live_run(spec: ExecutionSpec, status="Running", *, workflow: LiveWorkflow | None = None,
             stack_name=STACK, **overrides) -> LiveExecution:
    fields = dict(id=gcs_id("run:" + spec.gcs_name), name=spec.gcs_name, status=status,
                  workflow_id=workflow.id if workflow else None,
                  workflow_name=workflow.name if workflow else None, priority=spec.priority,
                  labels=spec.gcs_labels(stack_name))
    fields.update(overrides)
    return LiveExecution(**fields)


def live(workflows=(), executions=(), **overrides) -> LiveState:
    users: dict = {}
    for run in executions:
        if run.workflow_id:
            users.setdefault(run.workflow_id, set()).add(run.id)
    return LiveState(workflows={w.name: w for w in workflows},
                     executions={e.name: e for e in executions},
                     users={k: frozenset(v) for k, v in users.items()}, **overrides)


def binding() -> Binding:
    return Binding("embedded", "0123456789abcdef0123456789abcdef", STACK)


def plan(desired_stack, live_state=None, state=None, **options):
    return build_plan(desired_stack, live_state or live(), state or State.empty(),
                      PlanOptions(**options))


def actions(plan_) -> dict:
    return {c.address: (str(c.action), str(c.reason) if c.reason else None)
            for c in plan_.changes}


def perfect_apply(plan_, live_state: LiveState, state: State) -> tuple[LiveState, State]:
    """Carry out every change of ``plan_`` flawlessly; return the new live state and state."""
    workflows = {w.name: w for w in live_state.workflows.values()}
    runs = {r.name: r for r in live_state.executions.values()}
    state = state.copy()
    if state.lineage is None:
        state.lineage, state.binding = "lineage-1", binding()
    for change in sorted(plan_.changes, key=_wave):
        new_id, workflow_id = change.gcs_id, None
        if change.kind == "Workflow":
            new_id = _apply_workflow(change, workflows)
        else:
            new_id, workflow_id = _apply_run(change, runs, workflows, plan_)
        updates = state_updates(state.resources, change, gcs_id=new_id, workflow_id=workflow_id)
        for address, entry in updates.items():
            if entry is None:
                state.resources.pop(address, None)
            else:
                state.resources[address] = entry
    state.serial += 1
    return live(workflows.values(), runs.values(), environments=live_state.environments,
                tools=live_state.tools), state


def _wave(change):
    order = {("Workflow", "create"): 0, ("Workflow", "update"): 0, ("Workflow", "replace"): 0,
             ("Execution", "delete"): 2, ("Execution", "forget"): 2,
             ("Workflow", "delete"): 3, ("Workflow", "forget"): 3}
    return order.get((change.kind, str(change.action)), 1)


def _apply_workflow(change, workflows):
    spec = change.desired
    if change.action in (Action.CREATE, Action.REPLACE):
        created = live_workflow(spec, id=gcs_id(f"wf:{spec.gcs_name}:{spec.digest}"),
                                vendor=spec.vendor or "tenant-name")  # GCS's default vendor
        workflows[created.name] = created
        return created.id
    if change.action is Action.UPDATE:
        current = workflows[change.gcs_name]
        workflows[change.gcs_name] = replace(current, description=spec.description,
                                             vendor=spec.vendor or current.vendor,
                                             update_at=current.update_at + "'",
                                             digest=spec.digest if spec.versioning == "none" else None)
        return current.id
    if change.action is Action.DELETE:
        workflows.pop(change.gcs_name, None)
    return change.gcs_id


def _apply_run(change, runs, workflows, plan_):
    spec = change.desired
    if change.action is Action.CREATE:
        version = workflows.get(f"{spec.workflow}") if spec.workflow.startswith("id:") else None
        wf = next((w for w in workflows.values()
                   if w.name == _version_name(plan_, spec)), version)
        run = live_run(spec, "Pending", workflow=wf, id=gcs_id(f"run:{spec.gcs_name}:launched"))
        runs[run.name] = run
        return run.id, run.workflow_id
    if change.action is Action.UPDATE:
        runs[change.gcs_name] = replace(runs[change.gcs_name], priority=spec.priority)
    elif change.action is Action.RETRY:
        runs[change.gcs_name] = replace(runs[change.gcs_name], status="Retrying")
    elif change.action is Action.CANCEL:
        runs[change.gcs_name] = replace(runs[change.gcs_name], status="Cancelled")
    elif change.action is Action.DELETE:
        runs.pop(change.gcs_name, None)
    return change.gcs_id, None


def _version_name(plan_, spec):
    for change in plan_.changes:
        if change.kind == "Workflow" and change.address == f"workflow/{spec.workflow}":
            return change.gcs_name
    return None
