"""What one change does against GCS, and how an unknown outcome is resolved (DESIGN §5).

What an update sends is decided from the change's typed ``desired`` spec and ``live`` object
(:mod:`gcsapply.engine.updates`), never from the rendered diff.

Every mutating call is journaled before it is sent and after its outcome is known. A create or
an operate whose outcome is unknown (:class:`TransportError`, :class:`ServerError`) is never
sent again blindly: the run or workflow is first looked up by its exact name (and, for runs, our
labels), and the call is repeated only when the lookups show it did not take effect and no
longer can: they go on for the request timeout plus a grace period after the send, since a
request the client gave up on may still reach GCS later. Every
operate call carries the run's priority (and timeout), because the API resets what is omitted.

``perform_change`` returns an :class:`~gcsapply.engine.waves.Outcome`; it never raises for an API
error (the engine continues with independent changes).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field

from gcsapply.client.api import GcsApi, execution_guid
from gcsapply.clock import ManualClock, SystemClock
from gcsapply.engine.launch import EnvironmentResolver, execution_body
from gcsapply.engine.recorder import ApplyRecorder, look_until_settled, settle_seconds
from gcsapply.engine.updates import priority_to_update, template_to_upload, workflow_fields_to_update
from gcsapply.engine.waves import FAILED, NOT_STARTED, SUCCEEDED, Outcome
from gcsapply.errors import ApiError, GcsapplyError, Interrupted, NotFoundError, ServerError, TransportError
from gcsapply.live.lookup import find_execution, find_workflow, run_priority, run_status
from gcsapply.live.model import ACTIVE, CANCELLED, DELETING, LiveExecution, listed_execution
from gcsapply.live.model import FAILED as RUN_FAILED
from gcsapply.plan.model import Change

UNKNOWN_OUTCOME = (TransportError, ServerError)
MAX_ATTEMPTS = 4  # sends of one call, each after a lookup showed the previous did not land


@dataclass
class CallContext:
    """What every change needs: the API, the journal, and ids learnt during this apply."""

    api: GcsApi
    recorder: ApplyRecorder
    stack_name: str
    clock: SystemClock | ManualClock
    stop: threading.Event
    environments: EnvironmentResolver
    workflow_gcs_names: dict = field(default_factory=dict)  # metadata.name -> current GCS name
    workflow_ids: dict = field(default_factory=dict)  # workflow GCS name -> id
    lock: threading.Lock = field(default_factory=threading.Lock)
    backoff_seconds: float = 1.0
    lineage: str | None = None  # the state's, labelled on every run launched (DESIGN §3)

    def workflow_id(self, workflow_gcs_name: str) -> str | None:
        with self.lock:
            return self.workflow_ids.get(workflow_gcs_name)

    def learn_workflow(self, gcs_name: str, gcs_id: str) -> None:
        with self.lock:
            self.workflow_ids[gcs_name] = gcs_id


class _Unresolved(Exception):
    """The last send's outcome stayed unknown after every attempt."""


def perform_change(change: Change, ctx: CallContext) -> Outcome:
    """Carry out one change; any error becomes a FAILED (or NOT_STARTED) outcome."""
    handler = HANDLERS.get((str(change.kind).lower(), str(change.action)))
    if handler is None:
        ctx.recorder.record(change)
        return _done(change, change.gcs_id, "forgotten" if change.action == "forget"
                     else "state only")
    try:
        return handler(change, ctx)
    except Interrupted:
        return _result(change, NOT_STARTED, "not started: apply was interrupted")
    except ApiError as exc:
        return _result(change, FAILED, exc.error_msg, error_code=exc.error_code)
    except _Unresolved as exc:
        return _result(change, FAILED, str(exc))
    except GcsapplyError as exc:  # TransportError of a read, a missing environment, ...
        return _result(change, FAILED, exc.message)


def _create_workflow(change, ctx: CallContext) -> Outcome:
    spec = change.desired
    resource = {"name": change.gcs_name, "description": spec.description,
                "filename": spec.upload_filename}
    if spec.vendor:
        resource["vendor"] = spec.vendor

    def send():
        return ctx.api.create_workflow(resource, spec.upload_filename, spec.template_bytes)

    def landed():
        found = find_workflow(ctx.api, change.gcs_name)
        return found.get("id") if found else None

    gcs_id, adopted = _send_resolving(change, ctx, "create_workflow", send, landed)
    ctx.learn_workflow(change.gcs_name, gcs_id)
    return _done(change, gcs_id, "adopted after an unknown outcome" if adopted else "created")


def _replace_workflow(change, ctx: CallContext) -> Outcome:
    """``--replace``: delete the workflow (plan refuses this while runs use it), upload anew."""
    if change.gcs_id:
        _delete_workflow(change, ctx, final=False)
    return _create_workflow(dataclasses.replace(change, gcs_id=None), ctx)


def _update_workflow(change, ctx: CallContext) -> Outcome:
    spec = change.desired
    resource = workflow_fields_to_update(spec, change.live)
    content = spec.template_bytes if template_to_upload(spec, change.live) else None
    if not resource and content is None:
        ctx.recorder.record(change)
        return _done(change, change.gcs_id, "state only")

    def send():  # a PUT of the same fields is idempotent: resending it is safe
        return ctx.api.update_workflow(change.gcs_id, resource or None,
                                       spec.upload_filename if content else None, content)

    _send_resolving(change, ctx, "update_workflow", send, None)
    ctx.learn_workflow(change.gcs_name, change.gcs_id)
    return _done(change, change.gcs_id, "updated")


def _delete_workflow(change, ctx: CallContext, *, final: bool = True) -> Outcome:
    def send():
        return _delete_if_present(ctx.api.delete_workflow, change.gcs_id)

    def landed():
        return None if find_workflow(ctx.api, change.gcs_name, gcs_id=change.gcs_id) else change.gcs_id

    _send_resolving(change, ctx, "delete_workflow", send, landed, final=final, settle=False)
    return _done(change, change.gcs_id, "deleted")


def _create_execution(change, ctx: CallContext) -> Outcome:
    spec = change.desired
    workflow_id = _workflow_id_for(spec, ctx)
    body = execution_body(spec, ctx.stack_name, workflow_id,
                          ctx.environments.cluster_id(spec.environment), lineage=ctx.lineage)
    labels = spec.gcs_labels(ctx.stack_name)

    def landed():
        found = find_execution(ctx.api, change.gcs_name, labels)
        return execution_guid(found) if found else None

    gcs_id, adopted = _send_resolving(change, ctx, "create_execution",
                                      lambda: ctx.api.create_execution(body), landed,
                                      refused_lookup=landed, workflow_id=workflow_id,
                                      extra={"labels": labels, "workflow_id": workflow_id})
    return _done(change, gcs_id, "adopted after an unknown outcome" if adopted else "launched")


def _update_execution(change, ctx: CallContext) -> Outcome:
    priority = priority_to_update(change.desired, change.live)
    if priority is None:
        ctx.recorder.record(change)
        return _done(change, change.gcs_id, "state only")
    _operate(change, ctx, "update", priority,
             took_effect=lambda item: run_priority(item) == priority)
    return _done(change, change.gcs_id, f"priority set to {priority}")


def _retry_execution(change, ctx: CallContext) -> Outcome:
    before = change.live.status if change.live else None
    _operate(change, ctx, "retry", _priority(change),
             took_effect=lambda item: run_status(item) not in (RUN_FAILED, CANCELLED)
             or _updated_since(item, change.live))
    return _done(change, change.gcs_id, f"retried (was {before})" if before else "retried")


def _cancel_execution(change, ctx: CallContext) -> Outcome:
    # a run that finished since the plan refuses the cancel: it is stopped, which was the aim
    _operate(change, ctx, "cancel", _priority(change), accept_refusal=True,
             took_effect=lambda item: run_status(item) not in ACTIVE)
    return _done(change, change.gcs_id, "cancel requested")


def _delete_execution(change, ctx: CallContext) -> Outcome:
    if change.live is not None and change.live.status in ACTIVE:
        _operate(change, ctx, "cancel", _priority(change), final=False, accept_refusal=True,
                 took_effect=lambda item: run_status(item) not in ACTIVE)

    def send():
        return _delete_if_present(ctx.api.delete_execution, change.gcs_id)

    def landed():
        found = find_execution(ctx.api, change.gcs_name, None, gcs_id=change.gcs_id)
        gone = found is None or run_status(found) == DELETING
        return change.gcs_id if gone else None

    _send_resolving(change, ctx, "delete_execution", send, landed, settle=False)
    return _done(change, change.gcs_id, "deleted")



def _delete_if_present(delete, gcs_id: str) -> str:
    """Delete ``gcs_id``; one already gone is what a delete wants (a resend after a lost answer)."""
    try:
        delete(gcs_id)
    except NotFoundError:
        pass
    return gcs_id

HANDLERS = {
    ("workflow", "create"): _create_workflow,
    ("workflow", "replace"): _replace_workflow,
    ("workflow", "update"): _update_workflow,
    ("workflow", "delete"): _delete_workflow,
    ("execution", "create"): _create_execution,
    ("execution", "update"): _update_execution,
    ("execution", "retry"): _retry_execution,
    ("execution", "cancel"): _cancel_execution,
    ("execution", "delete"): _delete_execution,
}


def _operate(change, ctx: CallContext, action: str, priority: int, *, took_effect,
             final: bool = True, accept_refusal: bool = False) -> None:
    """operate_execution with the run's priority; an unknown outcome is re-read, not resent."""

    timeout = _timeout(change)

    def send():
        return ctx.api.operate_execution(change.gcs_id, action, priority=priority,
                                         timeout=timeout)

    def landed():
        found = find_execution(ctx.api, change.gcs_name, None, gcs_id=change.gcs_id)
        if found is None:
            raise NotFoundError(404, "GCS.NotFound", f"run {change.gcs_name} is gone")
        return change.gcs_id if took_effect(found) else None

    _send_resolving(change, ctx, f"operate_execution:{action}", send, landed, final=final,
                    refused_lookup=landed if accept_refusal else None,
                    refused_statuses=(400, 409), extra={"priority": priority})


def _send_resolving(change, ctx: CallContext, call: str, send, landed, *,
                    refused_lookup=None, refused_statuses=(409,), final: bool = True,
                    workflow_id: str | None = None, extra: dict | None = None,
                    settle: bool = True) -> tuple[str, bool]:
    """Journal, send, and resolve an unknown outcome by lookup before any resend.

    After an unknown outcome the lookups go on for as long as the send could still land (the
    request timeout plus a grace period, :func:`_await_landing`): a slow create found late is
    adopted, and a call is sent again only once that time has passed with nothing found.
    ``settle=False`` (a delete, which is safe to repeat) looks once; ``landed=None`` (a PUT of
    the same fields) resends without looking.

    Returns (GCS id, adopted) where adopted means what the call wanted is already so: an
    earlier send landed, or (``refused_lookup``, on a refusal with ``refused_statuses``) the
    name is already ours / the run already stopped. The end entry of a ``final`` call carries
    the change's state updates.
    """
    entry_id = ctx.recorder.begin(change, call, **(extra or {}))

    def finish(ok: bool, gcs_id=None, **info):
        ctx.recorder.end(entry_id, change, ok=ok, gcs_id=gcs_id, final=final,
                         workflow_id=workflow_id, **info)

    last_error: Exception | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if attempt > 1:
            _backoff(ctx, attempt, entry_id, finish)
        sent_at = ctx.clock.monotonic()
        try:
            gcs_id = send()
        except Interrupted:
            finish(False, result="not-sent")
            raise
        except UNKNOWN_OUTCOME as exc:
            last_error = exc
            if landed is None:
                continue  # resending is safe: it sets the same fields again
            found = _await_landing(ctx, landed, sent_at) if settle else _lookup(landed)
            if found:
                finish(True, found, adopted=True, attempts=attempt)
                return found, True
            continue  # it did not land, and no longer can: sending again cannot duplicate
        except ApiError as exc:
            found = _lookup(refused_lookup) if refused_lookup and exc.status in refused_statuses \
                else None
            if found:
                finish(True, found, adopted=True, attempts=attempt)
                return found, True
            finish(False, error_code=exc.error_code)
            raise
        finish(True, gcs_id, attempts=attempt)
        return gcs_id, False
    finish(False, error_code=getattr(last_error, "error_code", None))
    raise _Unresolved(f"no answer after {MAX_ATTEMPTS} attempts, and the lookup shows the "
                      f"{call.split(':')[0]} did not take effect: {_describe(last_error)}")


def _await_landing(ctx: CallContext, landed, sent_at: float):
    """What ``landed()`` finds, looking until the send begun at ``sent_at`` (the clock's
    monotonic time) could no longer land; None when nothing was found by then. Stopping
    (Ctrl-C) meanwhile leaves the entry pending for the next apply to resolve."""
    seconds = sent_at + settle_seconds(ctx.api) - ctx.clock.monotonic()
    try:
        return look_until_settled(lambda: _lookup(landed), seconds, ctx.clock, stop=ctx.stop,
                                  first_delay=ctx.backoff_seconds)
    except Interrupted as exc:
        raise _Unresolved("the outcome is unknown and apply is stopping; the next apply "
                          "resolves it before sending anything") from exc


def _lookup(landed):
    """Run ``landed()``. A lookup that cannot get an answer leaves the entry pending (no end
    line): the outcome stays unknown, and the next apply resolves it before anything else."""
    try:
        return landed()
    except (TransportError, ServerError) as exc:
        raise _Unresolved(f"the outcome is unknown and the lookup failed too ({_describe(exc)}); "
                          "the next apply resolves it before sending anything") from exc
    except Interrupted as exc:
        raise _Unresolved("the outcome is unknown (interrupted before the lookup); the next "
                          "apply resolves it before sending anything") from exc


def _backoff(ctx: CallContext, attempt: int, entry_id, finish) -> None:
    remaining = ctx.backoff_seconds * 2 ** (attempt - 2)
    while remaining > 0:
        if ctx.stop.is_set():
            finish(False, result="not-sent")
            raise Interrupted("stopping: not sending again")
        step = min(0.5, remaining)
        ctx.clock.sleep(step)
        remaining -= step


def _workflow_id_for(spec, ctx: CallContext) -> str:
    """The id of the workflow version a launch uses: learnt from this apply's plan or
    creates, else found by its exact name (a ``--target`` plan may leave the workflow out)."""
    if spec.workflow.startswith("id:"):
        return spec.workflow[3:]
    gcs_name = ctx.workflow_gcs_names.get(spec.workflow)
    gcs_id = ctx.workflow_id(gcs_name) if gcs_name else None
    if gcs_id is None and gcs_name:
        found = find_workflow(ctx.api, gcs_name)
        if found is not None:
            gcs_id = found.get("id")
            ctx.learn_workflow(gcs_name, gcs_id)
    if gcs_id is None:
        raise _Unresolved(f"workflow {gcs_name or spec.workflow} does not exist in GCS")
    return gcs_id


def _priority(change) -> int:
    """The manifest's priority, else (a run removed from the manifests) the run's own."""
    if change.desired is not None:
        return change.desired.priority
    return change.live.priority if change.live is not None else 0


def _timeout(change) -> int | None:
    """The manifest's timeout, sent along so an operate does not reset it to the default."""
    return change.desired.timeout if change.desired is not None else None


def _updated_since(item: dict, live: LiveExecution | None) -> bool:
    stamp = listed_execution(item).get("update_at")
    return stamp is not None and stamp != (live.update_at if live is not None else None)


def _describe(exc) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.error_code}: {exc.error_msg}"
    return getattr(exc, "message", None) or str(exc)


def _done(change, gcs_id, message) -> Outcome:
    return Outcome(change.address, str(change.action), SUCCEEDED, gcs_id=gcs_id,
                   gcs_name=change.gcs_name, message=message)


def _result(change, result, message, *, error_code=None) -> Outcome:
    return Outcome(change.address, str(change.action), result, gcs_id=change.gcs_id,
                   gcs_name=change.gcs_name, message=message, error_code=error_code)
