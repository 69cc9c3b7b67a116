"""Which labelled runs are this stack's, and what plan says about the rest (DESIGN §3).

A run belongs to the stack only if its state launched or adopted it. The stack label alone
proves nothing: two stacks may share a name (a stack without a Stack manifest is named after its
directory). So a labelled run the state does not know is adopted only when it is exactly a run
the manifests want (its GCS name and its ``gcsapply-key`` label those of a desired Execution:
:mod:`gcsapply.plan.executions` adopts it); any other is never recorded as superseded, never
deleted, never forgotten into state. Those of another lineage (or of none) are reported here as
one ``foreign-run`` warning per lineage; those of this state's own lineage are runs it forgot,
left alone in silence.

Runs that share one GCS name and the same labels (the service allowed a duplicate name) are
drift ``duplicate-run`` naming every id: plan follows one of them (the one the state knows, else
the oldest) and launches or deletes nothing because of the others. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter

from gcsapply.live.model import LiveExecution
from gcsapply.manifest.model import KIND_EXECUTION, key_label
from gcsapply.plan.context import PlanContext, Section
from gcsapply.plan.model import Drift, PlanWarning

FLAG_FOREIGN_RUN = "foreign-run"
FLAG_DUPLICATE_RUN = "duplicate-run"
UNKNOWN_LINEAGE = "unknown"


def plan_ownership(ctx: PlanContext) -> Section:
    section = Section()
    section.warnings += foreign_run_warnings(ctx)
    section.drift += duplicate_run_drift(ctx)
    return section


def stack_address(stack_name: str) -> str:
    """The address of warnings about the whole stack (kept under ``--target``)."""
    return f"stack/{stack_name}"


def foreign_run_warnings(ctx: PlanContext) -> list[PlanWarning]:
    """One ``foreign-run`` warning per other lineage with labelled runs this stack does not own."""
    owned = _state_run_ids(ctx)
    wanted = _wanted_runs(ctx)
    counts: Counter = Counter()
    for run in _listed_runs(ctx):
        if run.stack != ctx.stack_name or run.id in owned \
                or (run.name, run.key_label) in wanted:
            continue
        if run.lineage is not None and run.lineage == ctx.state.lineage:
            continue  # launched by this state and forgotten since: not the plan's business
        counts[run.lineage or UNKNOWN_LINEAGE] += 1
    return [PlanWarning(stack_address(ctx.stack_name), FLAG_FOREIGN_RUN,
                        f"another stack named {ctx.stack_name}, lineage {lineage[:8]}, has "
                        f"{count} run{'s' if count != 1 else ''} in this project; rename one of "
                        "the stacks")
            for lineage, count in sorted(counts.items())]


def duplicate_run_drift(ctx: PlanContext) -> list[Drift]:
    """``duplicate-run`` for every name of this stack's runs that several runs share."""
    if not ctx.live.duplicates:
        return []
    addresses = _addresses_by_gcs_name(ctx)
    drift = []
    for name, runs in sorted(ctx.live.duplicates.items()):
        address = addresses.get(name)
        if address is None:
            continue  # not a run of this stack: counted by foreign_run_warnings if labelled
        followed = ctx.live.executions.get(name)
        followed_id = followed.id if followed is not None else runs[0].id
        others = ", ".join(run.id for run in runs if run.id != followed_id)
        ids = ", ".join(run.id for run in runs)
        drift.append(Drift(
            address, FLAG_DUPLICATE_RUN,
            f"{len(runs)} runs are named {name} with this stack's labels: {ids}; plan follows "
            f"{followed_id} and leaves {others} alone (launched twice outside this plan: "
            "delete the extra run in GCS if it is not wanted)"))
    return drift


def _listed_runs(ctx: PlanContext) -> list[LiveExecution]:
    """Every run the listing kept, duplicates included, once each."""
    runs = {run.id: run for run in ctx.live.executions.values()}
    for group in ctx.live.duplicates.values():
        for run in group:
            runs.setdefault(run.id, run)
    return list(runs.values())


def _state_run_ids(ctx: PlanContext) -> set:
    ids = set()
    for entry in ctx.state_entries(KIND_EXECUTION).values():
        ids.add(entry.get("gcs_id"))
        ids.update(record.get("gcs_id") for record in entry.get("superseded", ()))
    return ids - {None}


def _wanted_runs(ctx: PlanContext) -> set:
    """(GCS name, key label) of every run the manifests want (destroying too: a run found by
    its labels is then this stack's to destroy)."""
    return {(ctx.gcs_name(spec), key_label(ctx.key(spec)))
            for spec in ctx.desired.executions.values()}


def _addresses_by_gcs_name(ctx: PlanContext) -> dict:
    addresses = {}
    for address, entry in ctx.state_entries(KIND_EXECUTION).items():
        for record in entry.get("superseded", ()):
            if record.get("gcs_name"):
                addresses[record["gcs_name"]] = f"{address}#{record['gcs_name']}"
        if entry.get("gcs_name"):
            addresses[entry["gcs_name"]] = address
    for spec in ctx.desired.executions.values():
        addresses[ctx.gcs_name(spec)] = spec.address
    return addresses
