"""Workflow decisions (DESIGN §2, §4): content versions, metadata updates, old versions.

Under ``versioning: content`` each distinct template is its own GCS workflow
``<name>-<digest[:8]>``: a template change is a ``create`` (reason ``new-version``), never an
update. An old version is deleted only when this stack created it and no live run in the
project references it (runs this plan deletes do not count: their deletes come first);
otherwise it stays (``noop``, reason ``in-use``). Under ``versioning: none`` the GCS name is the
manifest name and a template change is an in-place update, refused when runs use the workflow.
"""

from __future__ import annotations

import dataclasses

from gcsapply.live.model import LiveWorkflow
from gcsapply.manifest.model import WorkflowSpec
from gcsapply.plan.context import PlanContext, Section
from gcsapply.plan.diff import FIELD_RULES, diff_fields
from gcsapply.plan.model import KIND_WORKFLOW, Action, Change, Drift, FieldDiff, PlanWarning, Reason
from gcsapply.plan.views import WorkflowVersion, workflow_after

RULES = FIELD_RULES[KIND_WORKFLOW]


def resolve_versions(ctx: PlanContext) -> dict[str, WorkflowVersion]:
    """The GCS workflow each ``spec.workflow`` reference resolves to in this plan."""
    versions: dict[str, WorkflowVersion] = {}
    for spec in ctx.desired.workflows.values():
        live = ctx.live.workflows.get(spec.gcs_name)
        versions[spec.name] = WorkflowVersion(spec.name, spec.address, spec.gcs_name,
                                              live.id if live else None, spec.digest)
    for spec in ctx.desired.executions.values():
        if spec.workflow.startswith("id:") and spec.workflow not in versions:
            gcs_id = spec.workflow[3:]
            found = ctx.live.workflow_by_id(gcs_id)
            versions[spec.workflow] = WorkflowVersion(spec.workflow, None,
                                                      found.name if found else None, gcs_id)
    return versions


def plan_current_workflows(ctx: PlanContext) -> Section:
    """The current version of every wanted Workflow: create, update, replace or noop."""
    section = Section()
    for address, spec in sorted(ctx.wanted_workflows().items()):
        change = _plan_current(ctx, spec, section)
        ctx.workflow_changes[address] = change
        section.changes.append(change)
    return section


def plan_old_workflows(ctx: PlanContext, deleting: dict[str, str]) -> Section:
    """Old versions of wanted Workflows, and Workflows gone from the manifests.

    ``deleting`` maps the ids of runs this plan deletes to their addresses.
    """
    section = Section()
    wanted = ctx.wanted_workflows()
    for address, entry in sorted(ctx.state_entries(KIND_WORKFLOW).items()):
        spec = wanted.get(address)
        records = [dict(v) for v in entry.get("versions", [])]
        removed = spec is None
        if entry.get("gcs_id") and (removed or entry.get("gcs_name") != spec.gcs_name):
            current = {"gcs_id": entry["gcs_id"], "gcs_name": entry.get("gcs_name"),
                       "digest": entry.get("digest"), "created": bool(entry.get("created")),
                       "current": True}
            records.insert(0, current)
        for record in records:
            own_address = address if removed and record.get("current") \
                else f"{address}#{record.get('gcs_name')}"
            section.changes.append(_plan_version(ctx, own_address, entry, record, removed,
                                                 deleting, section))
    return section


def _plan_current(ctx: PlanContext, spec: WorkflowSpec, section: Section) -> Change:
    address = spec.address
    entry = ctx.state.entry(address)
    after = workflow_after(spec)
    live = ctx.live.workflows.get(spec.gcs_name)
    if live is None:
        reason = Reason.NEW
        if entry and entry.get("gcs_id") and entry.get("gcs_name") == spec.gcs_name:
            section.drift.append(Drift(address, "deleted-outside",
                                       f"workflow {spec.gcs_name} ({entry['gcs_id']}) was "
                                       "created by this stack and is gone from GCS; it is "
                                       "created again"))
        elif entry and (entry.get("gcs_id") or entry.get("versions")) \
                and entry.get("digest") != spec.digest:
            reason = Reason.NEW_VERSION
        return Change(address, KIND_WORKFLOW, spec.name, spec.gcs_name, None, Action.CREATE,
                      reason, None, after, (), desired=spec)
    before = _before(live, entry, spec)
    live = _as_compared(live, before)
    if address in ctx.options.replace:
        _refuse_in_use(ctx, section, address, live, "replace it")
        return Change(address, KIND_WORKFLOW, spec.name, live.name, live.id, Action.REPLACE,
                      Reason.REQUESTED, before, after, (), desired=spec, live=live)
    diff = diff_fields(before, after, RULES.compared(RULES.in_place, after), rules=RULES)
    if spec.versioning == "none":
        known = before.get("digest")
        if known is None:
            section.warnings.append(PlanWarning(
                address, "template-unverified",
                f"the template of {live.name} could not be compared; it is left as it is"))
        elif known != spec.digest:
            _refuse_in_use(ctx, section, address, live,
                           "upload a new template (versioning: none)")
            diff = tuple(sorted(diff + (FieldDiff("digest", known, spec.digest),),
                                key=lambda d: d.path))
    if diff:
        return Change(address, KIND_WORKFLOW, spec.name, live.name, live.id, Action.UPDATE,
                      Reason.FIELDS_CHANGED, before, after, diff, desired=spec,
                      live=live)
    if entry and entry.get("gcs_id") == live.id:
        policy = diff_fields(before, after, RULES.state_only, rules=RULES)
        if policy:
            return Change(address, KIND_WORKFLOW, spec.name, live.name, live.id, Action.UPDATE,
                          Reason.POLICY_CHANGED, before, after, policy, desired=spec,
                          live=live)
    return Change(address, KIND_WORKFLOW, spec.name, live.name, live.id, Action.NOOP, None,
                  before, after, (), desired=spec, live=live)


def _plan_version(ctx: PlanContext, address: str, entry: dict, record: dict, removed: bool,
                  deleting: dict[str, str], section: Section) -> Change:
    name = entry.get("name") or address.split("/", 1)[1].split("#", 1)[0]
    gcs_id, gcs_name = record.get("gcs_id"), record.get("gcs_name")
    live = ctx.live.workflow_by_id(gcs_id)
    if live is None:
        return Change(address, KIND_WORKFLOW, name, gcs_name, gcs_id, Action.FORGET,
                      Reason.DELETED_OUTSIDE, None, None)
    before = {**live.view(), "digest": record.get("digest")}
    users = ctx.live.users_of(live.id)
    remaining = users - set(deleting)
    if ctx.options.destroy:
        gone = Reason.REQUESTED
    else:
        gone = Reason.REMOVED_FROM_MANIFESTS if removed else Reason.SUPERSEDED
    if remaining:
        action = Action.FORGET if removed else Action.NOOP
        return Change(address, KIND_WORKFLOW, name, live.name, live.id, action, Reason.IN_USE,
                      before, None, live=live)
    if not record.get("created"):
        return Change(address, KIND_WORKFLOW, name, live.name, live.id, Action.FORGET, gone,
                      before, None, live=live)
    manifest = ctx.desired.workflows.get(address)  # still there when destroying
    if removed and (entry.get("prevent_destroy") or (manifest and manifest.prevent_destroy)):
        section.refusals.append(f"{address}: lifecycle.preventDestroy is set, so workflow "
                                f"{live.name} cannot be deleted")
    depends = tuple(sorted({deleting[run_id] for run_id in users if run_id in deleting}))
    return Change(address, KIND_WORKFLOW, name, live.name, live.id, Action.DELETE, gone,
                  before, None, (), depends, live=live)


def _before(live: LiveWorkflow, entry: dict | None, spec: WorkflowSpec) -> dict:
    before = live.view()
    vouched = entry is not None and entry.get("gcs_id") == live.id
    if spec.versioning == "content":
        before["digest"] = entry.get("digest") if vouched and entry.get("digest") \
            else spec.digest  # the name carries the digest
    elif "digest" not in before and vouched and entry.get("update_at") \
            and entry.get("update_at") == live.update_at:
        before["digest"] = entry.get("digest")  # the cheap fingerprint vouches for it
    before.setdefault("digest", None)
    before["versioning"] = spec.versioning
    if vouched:
        before["prevent_destroy"] = bool(entry.get("prevent_destroy"))
    return before


def _as_compared(live: LiveWorkflow, before: dict) -> LiveWorkflow:
    """``live`` with the digest the plan compared (read, or vouched for by the state): apply
    decides from it whether to upload the template."""
    if live.digest == before["digest"]:
        return live
    return dataclasses.replace(live, digest=before["digest"])


def _refuse_in_use(ctx: PlanContext, section: Section, address: str, live: LiveWorkflow,
                   what: str) -> None:
    users = ctx.live.users_of(live.id)
    if users:
        section.refusals.append(
            f"{address}: cannot {what}: {len(users)} run(s) in GCS use workflow {live.name}, "
            "and GCS refuses a new file for a workflow in use (use versioning: content, or "
            "delete those runs first)")
