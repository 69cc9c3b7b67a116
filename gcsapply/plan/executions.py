"""Execution decisions (DESIGN §2, §4): the decision table, superseded runs, removals.

``observed`` is the live run with the current run key. Precedence: cancel > retry > update >
noop. :func:`decide_execution` is the table itself, a pure function of a few facts, so tests
walk every row of it.

A run is the stack's only when its state launched or adopted it. With no record (a lost
state), the observed run — exact GCS name and ``gcsapply-key`` label — is adopted, and nothing
else: superseded runs come from the state only (:mod:`gcsapply.plan.ownership` reports the
other labelled runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from gcsapply.live.model import ACTIVE, FAILED, UNKNOWN, LiveExecution
from gcsapply.manifest.model import ExecutionSpec, key_label
from gcsapply.plan.context import PlanContext, Section
from gcsapply.plan.diff import FIELD_RULES, diff_fields
from gcsapply.plan.model import KIND_EXECUTION, Action, Change, Drift, PlanWarning, Reason
from gcsapply.plan.settings import settings_warnings
from gcsapply.plan.views import execution_after

RULES = FIELD_RULES[KIND_EXECUTION]

# Warning / drift codes raised here.
FLAG_DELETED_OUTSIDE = "deleted-outside"
FLAG_RUN_FAILED = "run-failed"
FLAG_RETRIES_EXHAUSTED = "retries-exhausted"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: Reason | None = None
    flag: str | None = None  # a drift observation or a warning code to raise with it


# Every outcome of the table, made once (a plan of 10,000 runs decides 10,000 times).
RELAUNCH = Decision(Action.CREATE, Reason.DELETED_OUTSIDE, FLAG_DELETED_OUTSIDE)
MISSING = Decision(Action.NOOP, Reason.DELETED_OUTSIDE, FLAG_DELETED_OUTSIDE)
NEVER_LAUNCH = Decision(Action.NOOP, Reason.DESIRED_CANCELLED)
LAUNCH = Decision(Action.CREATE, Reason.NEW)
CANCEL = Decision(Action.CANCEL, Reason.DESIRED_CANCELLED)
UPDATE = Decision(Action.UPDATE, Reason.FIELDS_CHANGED)
LEAVE = Decision(Action.NOOP)
FAILED_ONCE = Decision(Action.NOOP, None, FLAG_RUN_FAILED)
RETRY = Decision(Action.RETRY, Reason.PREVIOUS_RUN_FAILED)
EXHAUSTED = Decision(Action.NOOP, None, FLAG_RETRIES_EXHAUSTED)


def decide_execution(status: str | None, *, launched_before: bool, cancelled: bool,
                     mode: str, attempts: int, max_retries: int, priority_differs: bool,
                     relaunch_missing: bool = False) -> Decision:
    """One row of the decision table. ``status`` is the observed run's, None when absent."""
    if status is None:
        if launched_before:
            return RELAUNCH if relaunch_missing and not cancelled else MISSING
        return NEVER_LAUNCH if cancelled else LAUNCH
    if status in ACTIVE:
        if cancelled:
            return CANCEL
        return UPDATE if priority_differs else LEAVE
    if status == FAILED:
        if cancelled:
            return NEVER_LAUNCH
        if mode != "untilSucceeded":
            return FAILED_ONCE
        return RETRY if attempts < max_retries else EXHAUSTED
    # STOPPING (never create over a run on its way out), FINISHED, or a status we do not know.
    return LEAVE


def plan_executions(ctx: PlanContext) -> Section:
    section = Section()
    wanted = ctx.wanted_executions()
    for address in sorted(wanted):
        _plan_wanted(ctx, wanted[address], section)
    for address, entry in sorted(ctx.state_entries(KIND_EXECUTION).items()):
        if address not in wanted:
            section.extend(_plan_removed(ctx, address, entry, ctx.desired.executions.get(address)))
    if ctx.options.destroy:  # runs found by their labels but missing from state
        for address, spec in sorted(ctx.desired.executions.items()):
            if address not in ctx.state.resources:
                section.extend(_plan_removed(ctx, address, None, spec))
    return section


def _plan_wanted(ctx: PlanContext, spec: ExecutionSpec, section: Section) -> None:
    """Plan one wanted run into ``section`` (a plan makes 10,000 of these: keep it lean)."""
    address, key = spec.address, ctx.key(spec)
    gcs_name = ctx.gcs_name(spec)
    entry = ctx.state.entry(address)
    version = ctx.versions.get(spec.workflow)
    after = execution_after(spec, ctx.stack_name, version, key)
    run = ctx.live.executions.get(gcs_name)
    if run is not None and run.key_label not in (None, key_label(key)):
        run = None  # same name, another key: fetch refuses foreign runs, so this is a prefix clash
    launched = _launched_record(entry, key)
    launched_before = launched is not None
    attempts = int(entry.get("attempts") or 0) if entry and run and entry.get("gcs_id") == run.id \
        else 0
    decision = decide_execution(
        (run.status or UNKNOWN) if run else None, launched_before=launched_before,
        cancelled=spec.desired_state == "cancelled", mode=spec.run_policy.mode,
        attempts=attempts, max_retries=spec.run_policy.max_retries,
        priority_differs=bool(run and run.priority != spec.priority),
        relaunch_missing=ctx.options.relaunch_missing)
    superseded = _superseded(ctx, spec, key, entry)
    action, reason, diff = decision.action, decision.reason, ()
    before = _before(run, entry)
    if action is Action.CREATE and reason is Reason.NEW and superseded:
        reason = Reason.RUN_KEY_CHANGED
    if action is Action.UPDATE:
        diff = diff_fields(before, after, RULES.in_place, rules=RULES)
    if action is Action.NOOP and run is not None and entry is not None \
            and entry.get("gcs_id") == run.id:
        policy_diff = diff_fields(before, after, RULES.state_only, rules=RULES)
        if policy_diff:
            action, reason, diff = Action.UPDATE, Reason.POLICY_CHANGED, policy_diff
    if action is Action.CREATE:
        diff = ()
    gcs_id = run.id if run else None
    depends = _depends(ctx, spec, action)
    section.changes.append(Change(
        address, KIND_EXECUTION, spec.name, gcs_name, gcs_id, action, reason,
        before, after if action is not Action.DELETE else None, diff, depends,
        desired=spec, live=run))
    _flags(section, spec, gcs_name, decision, run, launched, version)
    if action is not Action.CREATE:
        section.warnings += settings_warnings(spec, gcs_name, entry, run, key, action)
    section.changes += superseded


def _plan_removed(ctx: PlanContext, address: str, entry: dict | None,
                  spec: ExecutionSpec | None) -> Section:
    """An address gone from the manifests (or being destroyed): delete or forget, by policy."""
    section = Section()
    # The policies last applied decide (a removed manifest has no other); while destroying a
    # stack whose manifest is still there, a run is deleted only when both say delete and
    # protected when either says so: an unapplied edit towards keeping results always wins.
    applied = entry if entry is not None else _spec_policies(spec)
    current = _spec_policies(spec) if spec is not None else applied
    delete = ctx.options.include_retained or all(
        p.get("deletion_policy") == "delete" for p in (applied, current))
    protected = any(bool(p.get("prevent_destroy")) for p in (applied, current))
    gone_reason = Reason.REQUESTED if ctx.options.destroy else Reason.REMOVED_FROM_MANIFESTS
    name = (entry or {}).get("name") or (spec.name if spec else address.split("/", 1)[1])
    gcs_id = (entry or {}).get("gcs_id")
    gcs_name = (entry or {}).get("gcs_name") or (ctx.gcs_name(spec) if spec else None)
    if gcs_id is not None or (entry is None and gcs_name):
        run = ctx.live.find_execution(gcs_id, gcs_name)
        if entry is None and run is None:
            return section  # destroy of a run that was never launched: nothing to do
        section.changes.append(_removal(ctx, address, name, gcs_name, run, gcs_id, delete,
                                        protected, gone_reason, section))
    for record in _distinct((entry or {}).get("superseded", []), gcs_id):
        run = ctx.live.find_execution(record.get("gcs_id"), None)
        section.changes.append(_removal(ctx, f"{address}#{record.get('gcs_name')}", name,
                                        record.get("gcs_name"), run, record.get("gcs_id"),
                                        delete, protected, gone_reason, section,
                                        key=record.get("key")))
    return section


def _removal(ctx, address, name, gcs_name, run: LiveExecution | None, gcs_id, delete: bool,
             protected: bool, gone_reason: Reason, section: Section, *,
             key=None) -> Change:
    before = _before(run, None)
    if key is not None and before is not None:
        before["key"] = key
    if run is None:
        return Change(address, KIND_EXECUTION, name, gcs_name, gcs_id, Action.FORGET,
                      Reason.DELETED_OUTSIDE, None, None)
    if not delete:
        return Change(address, KIND_EXECUTION, name, run.name, run.id, Action.FORGET,
                      gone_reason, before, None, live=run)
    if protected:
        section.refusals.append(
            f"{address}: lifecycle.preventDestroy is set, so run {run.name} cannot be deleted")
    return Change(address, KIND_EXECUTION, name, run.name, run.id, Action.DELETE, gone_reason,
                  before, None, live=run)


def _superseded(ctx: PlanContext, spec: ExecutionSpec, key: str, entry: dict | None
                ) -> list[Change]:
    """Earlier runs of this address under other keys, as the state recorded them: kept, each
    under its own address. Only the state makes a run superseded: a run found by its labels
    with another key may be another stack's of the same name."""
    records = [r for r in (entry.get("superseded", ()) if entry else ()) if r.get("key") != key]
    records = _distinct(records, entry.get("gcs_id") if entry else None)
    if entry and entry.get("gcs_id") and entry.get("key") != key:
        records.append({"gcs_id": entry["gcs_id"], "gcs_name": entry.get("gcs_name"),
                        "key": entry.get("key")})
    if not records:
        return []  # a labelled run of another key is never made ours (plan.ownership)
    changes = []
    for record in sorted(records, key=lambda r: (r.get("gcs_name") or "", r.get("gcs_id") or "")):
        run = ctx.live.find_execution(record.get("gcs_id"), None)
        address = f"{spec.address}#{record.get('gcs_name')}"
        if run is None:
            changes.append(Change(address, KIND_EXECUTION, spec.name, record.get("gcs_name"),
                                  record.get("gcs_id"), Action.FORGET, Reason.DELETED_OUTSIDE,
                                  None, None))
            continue
        before = {**run.view(), "key": record.get("key")}
        changes.append(Change(address, KIND_EXECUTION, spec.name, run.name, run.id,
                              Action.NOOP, Reason.SUPERSEDED, before, None, live=run))
    return changes


def _flags(section: Section, spec, gcs_name: str, decision: Decision, run, launched,
           version) -> None:
    address = spec.address
    if decision.flag == FLAG_DELETED_OUTSIDE:
        gcs_id = (launched or {}).get("gcs_id")
        relaunch = decision.action is Action.CREATE
        section.drift.append(Drift(
            address, "deleted-outside",
            f"run {gcs_name} ({gcs_id}) was launched by this stack and is gone from GCS; "
            + ("--relaunch-missing launches it again" if relaunch
               else "it is not relaunched (use --relaunch-missing to launch it again)")))
    elif decision.flag == FLAG_RUN_FAILED:
        section.warnings.append(PlanWarning(
            address, "run-failed",
            f"run {run.name} failed; runPolicy mode 'once' does not retry it (change "
            "runPolicy.rerunToken for a new run, or use mode untilSucceeded)"))
    elif decision.flag == FLAG_RETRIES_EXHAUSTED:
        section.warnings.append(PlanWarning(
            address, "retries-exhausted",
            f"run {run.name} failed and was retried {spec.run_policy.max_retries} time(s), "
            "its runPolicy.maxRetries; change runPolicy.rerunToken for a new run"))
    if decision.action is Action.RETRY and version is not None and version.gcs_name \
            and run.workflow_name and run.workflow_name != version.gcs_name:
        section.warnings.append(PlanWarning(
            address, "retry-uses-old-version",
            f"the template changed since launch: the retry re-runs {run.workflow_name}, not "
            f"{version.gcs_name} (change runPolicy.rerunToken to run the new template)"))


def _distinct(records, current_id: str | None) -> list[dict]:
    """Superseded records once each, without the current run (a run is deleted once)."""
    seen, distinct = {current_id} - {None}, []
    for record in records:
        if record.get("gcs_id") in seen:
            continue
        seen.add(record.get("gcs_id"))
        distinct.append(record)
    return distinct


def _launched_record(entry: dict | None, key: str) -> dict | None:
    """The run this stack launched under ``key``: the entry's current run, or a superseded one
    (the manifest went back to an earlier key). None when it never launched that key."""
    if not entry:
        return None
    if entry.get("key") == key and entry.get("gcs_id"):
        return entry
    return next((r for r in entry.get("superseded", ())
                 if r.get("key") == key and r.get("gcs_id")), None)


def _depends(ctx: PlanContext, spec: ExecutionSpec, action: Action) -> tuple[str, ...]:
    if action not in (Action.CREATE, Action.RETRY):
        return ()
    change = ctx.workflow_changes.get(f"workflow/{spec.workflow}")
    if change is not None and change.action is not Action.NOOP:
        return (change.address,)
    return ()


def _before(run: LiveExecution | None, entry: dict | None) -> dict | None:
    if run is None:
        return None
    view = run.view()
    if entry is not None and entry.get("gcs_id") == run.id:
        view["deletion_policy"] = entry.get("deletion_policy")
        view["run_policy"] = dict(entry.get("run_policy") or {})
        view["prevent_destroy"] = bool(entry.get("prevent_destroy"))
    return view


def _spec_policies(spec: ExecutionSpec | None) -> dict:
    if spec is None:
        return {"deletion_policy": "retain", "prevent_destroy": False}
    return {"deletion_policy": spec.deletion_policy, "prevent_destroy": spec.prevent_destroy}
