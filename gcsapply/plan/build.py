"""The plan: what ``apply`` would change, as plain data (DESIGN §4).

:func:`build_plan` is pure: it compares the desired stack, the live state listed from GCS and
the state file, and returns a frozen :class:`Plan`. It does no I/O and reads no clock, so it is
tested without a server. The types live in :mod:`gcsapply.plan.model` and are re-exported here;
the decision tables are :mod:`gcsapply.plan.workflows` and :mod:`gcsapply.plan.executions`.
"""

from __future__ import annotations

import difflib

from gcsapply.errors import GcsapplyError, PlanRefusedError, UsageError
from gcsapply.live.model import LiveState
from gcsapply.manifest.model import DesiredStack
from gcsapply.manifest.specs import DEFAULT_MAX_DELETES_PER_APPLY, DEFAULT_MAX_LAUNCHES_PER_APPLY
from gcsapply.plan.context import PlanContext, Section, run_keys
from gcsapply.plan.executions import plan_executions
from gcsapply.plan.model import (
    ACTION_ORDER,
    KIND_EXECUTION,
    KIND_WORKFLOW,
    Action,
    Change,
    Cost,
    Drift,
    FieldDiff,
    Plan,
    PlanOptions,
    PlanWarning,
    Reason,
)
from gcsapply.plan.ownership import plan_ownership, stack_address
from gcsapply.plan.workflows import plan_current_workflows, plan_old_workflows, resolve_versions
from gcsapply.state.file import State

__all__ = ["ACTION_ORDER", "KIND_EXECUTION", "KIND_WORKFLOW", "Action", "Change", "Cost",
           "Drift", "FieldDiff", "Plan", "PlanOptions", "PlanWarning", "Reason", "build_plan",
           "compute_cost", "run_keys"]

LAUNCHES = (Action.CREATE, Action.RETRY)


def build_plan(desired: DesiredStack, live: LiveState, state: State,
               options: PlanOptions | None = None, *, templates: dict | None = None,
               target_line: str = "", keys: dict | None = None) -> Plan:
    """Compare desired, live and state; return the :class:`Plan`.

    ``templates`` (workflow address -> Template) prices the launches; without it the cost is a
    lower bound. ``keys`` (address -> run key, :func:`run_keys`) saves recomputing them.
    Raises :class:`UsageError` for a ``--target``/``--replace`` address matching
    nothing, and :class:`PlanRefusedError` for what no apply may do (``--replace`` of a run,
    ``preventDestroy``, a template update of a workflow in use, launch/delete limits).
    """
    options = options or PlanOptions()
    _check_requested_addresses(desired, state, live, options)
    ctx = PlanContext(desired, live, state, options)
    ctx._keys.update(keys or {})
    ctx.versions = resolve_versions(ctx)
    section = Section()
    section.extend(plan_current_workflows(ctx))
    section.extend(plan_executions(ctx))
    chosen = _chosen(options, desired)
    # Runs this plan deletes free the versions they use; under --target only the runs chosen
    # (a workflow target never pulls in the deletion of runs nobody asked to delete).
    deleting = {c.gcs_id: c.address for c in section.changes
                if c.kind == KIND_EXECUTION and c.action is Action.DELETE and c.gcs_id
                and (chosen is None or c.address in chosen or c.owner in chosen)}
    section.extend(plan_old_workflows(ctx, deleting))
    section.extend(plan_ownership(ctx))
    changes = _select_targets(section.changes, options, desired)
    selected = {c.owner for c in changes} | {stack_address(desired.stack.name)}
    drift = [d for d in section.drift if not options.targets or d.address.split("#")[0] in selected]
    warnings = [w for w in section.warnings if not options.targets or w.address in selected]
    refusals = [r for r in section.refusals if not options.targets
                or r.split(":", 1)[0].split("#")[0] in selected]
    cost = compute_cost(changes, templates)
    refusals += _limit_refusals(cost, desired, options)
    if refusals:
        raise PlanRefusedError(
            "the plan is refused:\n" + "\n".join(f"  - {r}" for r in refusals),
            hint="fix the manifests or the flags above; nothing was changed")
    changes = sorted(changes, key=lambda c: (c.kind, c.address))
    return Plan(
        stack_name=desired.stack.name, lineage=state.lineage, serial=state.serial,
        changes=tuple(changes),
        drift=tuple(sorted(set(drift), key=lambda d: (d.address, d.observation, d.detail))),
        warnings=tuple(sorted(set(warnings), key=lambda w: (w.address, w.code, w.message))),
        cost=cost, target_line=target_line)


def compute_cost(changes, templates: dict | None) -> Cost:
    """Runs launched (creates and retries), the jobs they expand to, vCPU and memory."""
    launches = jobs = 0
    vcpu = memory = 0.0
    lower_bound = False
    for change in changes:
        if change.kind != KIND_EXECUTION or change.action not in LAUNCHES:
            continue
        launches += 1
        spec = change.desired
        template = (templates or {}).get(f"workflow/{spec.workflow}") if spec else None
        if template is None:
            lower_bound = True
            continue
        try:
            graph_cost = template.expand(spec.inputs).cost()
        except (GcsapplyError, ValueError, KeyError, TypeError):
            lower_bound = True
            continue
        jobs += graph_cost.jobs
        vcpu += graph_cost.vcpu
        memory += graph_cost.memory_gb
        lower_bound = lower_bound or bool(graph_cost.lower_bound)
    deletes = sum(1 for c in changes if c.action in (Action.DELETE, Action.REPLACE))
    return Cost(launches, jobs, round(vcpu, 3), round(memory, 3), lower_bound, deletes)


def _check_requested_addresses(desired: DesiredStack, state: State, live: LiveState,
                               options: PlanOptions) -> None:
    known = _known_addresses(desired, state)
    for address in options.targets:
        if address not in known:
            raise UsageError(f"--target {address} matches nothing in the manifests or state",
                             hint=_did_you_mean(address, known))
    for address in options.replace:
        if address.startswith(("execution/", "executionset/")):
            raise PlanRefusedError(
                f"--replace {address}: runs are never replaced",
                hint="a run is an occurrence: change spec.runPolicy.rerunToken to launch a "
                     "new run deliberately")
        if address not in desired.workflows:
            raise UsageError(f"--replace {address} matches no workflow of the manifests",
                             hint=_did_you_mean(address, set(desired.workflows)))


def _known_addresses(desired: DesiredStack, state: State) -> set[str]:
    known = set(desired.workflows) | set(desired.executions) | set(desired.sets)
    for address, entry in state.resources.items():
        known.add(address)
        for record in entry.get("superseded", []) + entry.get("versions", []):
            known.add(f"{address}#{record.get('gcs_name')}")
    return known


def _select_targets(changes: list[Change], options: PlanOptions, desired: DesiredStack
                    ) -> list[Change]:
    chosen = _chosen(options, desired)
    if chosen is None:
        return changes
    kept = [c for c in changes if c.address in chosen or c.owner in chosen]
    needed = {dep for c in kept for dep in c.depends_on}
    kept_addresses = {c.address for c in kept}
    kept += [c for c in changes if c.address in needed and c.address not in kept_addresses]
    return kept


def _chosen(options: PlanOptions, desired: DesiredStack) -> set[str] | None:
    """The addresses ``--target`` names (sets expanded to their members); None: everything."""
    if not options.targets:
        return None
    chosen: set[str] = set()
    for address in options.targets:
        chosen.update(desired.sets.get(address, (address,)))
    return chosen


def _limit_refusals(cost: Cost, desired: DesiredStack, options: PlanOptions) -> list[str]:
    refusals = []
    stack = desired.stack
    for count, noun, allowed, limit, flag, setting, default in (
            (cost.launches, "launches {} run(s)", options.allow_launches, stack.max_launches_per_apply,
             "--allow-launches", "limits.maxLaunchesPerApply", DEFAULT_MAX_LAUNCHES_PER_APPLY),
            (cost.deletes, "deletes {} object(s)", options.allow_deletes, stack.max_deletes_per_apply,
             "--allow-deletes", "limits.maxDeletesPerApply", DEFAULT_MAX_DELETES_PER_APPLY)):
        if allowed is not None:
            limit, source = allowed, flag
        else:
            source = f"{setting}; the default is {default}"
        if limit is not None and count > limit:
            refusals.append(f"the plan {noun.format(count)}, above the limit of {limit} ({source}); "
                            f"rerun with {flag} {count} if that is intended")
    return refusals


def _did_you_mean(address: str, known) -> str:
    close = difflib.get_close_matches(address, sorted(known), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "known addresses: " + (", ".join(sorted(known)[:10]) or "(none)")
