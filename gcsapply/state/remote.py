"""The ``obs`` and ``s3`` backends: the state as an object in a bucket (DESIGN §3).

``spec.state.key`` (default ``gcsapply/<stack>/state.json``) holds the state document, and
``<key>.lock`` the lock (:mod:`gcsapply.state.lease`). Every write of the state is a
compare-and-swap on the ETag this process last saw (``If-Match``; ``If-None-Match: *`` for the
first), so an update is never lost: a writer whose lock was taken over finds the ETag moved and
stops. When an answer is lost on the way back and the retried write is refused, the object is
read back: if it holds exactly what was written, the write happened; otherwise it is a
conflict. Nothing is ever overwritten blindly.

The journal stays a local file (``.gcsapply/journal.jsonl``, fsync speed). It starts with a
``base`` line naming the serial it continues, so a journal left by a runner that was killed and
whose lock was then taken over is never folded into the newer state
(:func:`gcsapply.state.journal.stale_journal`): what it launched was adopted by labels there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gcsapply.diagnostics import excerpt
from gcsapply.errors import StateConflictError, StateError
from gcsapply.manifest.model import RemoteStateSpec
from gcsapply.state.file import State, parse_state_bytes, render_state
from gcsapply.state.journal import Journal
from gcsapply.state.lease import LeaseHolder, LeaseLock, NoLock, read_lease, unlock
from gcsapply.state.objects import (
    Bucket,
    PreconditionFailed,
    StoredObject,
    is_ip_or_localhost,
    probe_conditional_writes,
)

REMOTE_HINT = ("restore an earlier version of the object (keep versioning on in the bucket), or "
               "push a good state with 'gcsapply state push DIR FILE --force'")


class RemoteBackend:
    """The state object, its lock object and the local journal of one remote stack state."""

    requires_base = True

    def __init__(self, spec: RemoteStateSpec, *, journal_path: Path, environ: Mapping[str, str],
                 credentials=None, endpoint: str | None = None, bucket: Bucket | None = None,
                 token_refusal: Exception | None = None):
        self.spec = spec
        self.name = spec.backend
        self.journal_path = Path(journal_path)
        self.where = spec.url
        self.endpoint = endpoint
        virtual = spec.backend == "obs" and endpoint is not None and not is_ip_or_localhost(endpoint)
        self.bucket = bucket or Bucket(bucket=spec.bucket, endpoint=endpoint,
                                       region=spec.region or environ.get("AWS_REGION"),
                                       credentials=credentials, virtual_host=virtual,
                                       token_refusal=token_refusal)
        self._known: tuple[State, str] | None = None  # (state, ETag) last read or written
        self._locked = False
        self._lost: str | None = None  # why our lock is no longer ours: never write again
        self._on_lost = None  # the command's reaction to a lost lock (stop starting calls)
        self._unconfirmed: bytes | None = None  # a write whose answer never came

    def describe(self) -> str:
        return f"state {self.spec.url}{f' at {self.endpoint}' if self.endpoint else ''}"

    # -- the state object ----------------------------------------------------------------------

    def exists(self) -> bool:
        if self._known is not None and self._known[1]:
            return True
        return self.bucket.get(self.spec.key) is not None

    def read(self) -> State:
        """The stored state (empty when there is no object). Under our lock, the state this
        process last read or wrote: nobody else may change it, and the next write proves it."""
        if self._locked and self._known is not None:
            return self._known[0].copy()
        stored = self.bucket.get(self.spec.key)
        state = State.empty() if stored is None else parse_state(stored.body, self.where)
        self._known = (state, stored.etag if stored else "")
        return state.copy()

    def write(self, state: State) -> None:
        """Compare-and-swap: only over the version last seen (or only if there is none)."""
        if self._lost:
            raise StateError(f"not writing the state: {self._lost}", where=self.where,
                             hint="the journal in .gcsapply/ keeps what this apply did; what it "
                                  "launched is adopted by its labels by the next apply")
        body = render_state(state).encode("utf-8")
        etag = self._known[1] if self._known is not None else ""
        try:
            new_etag = self.bucket.put(self.spec.key, body, if_match=etag or None,
                                       if_none_match=not etag)
        except PreconditionFailed:
            new_etag = self._written_anyway(body)
        except StateError:
            self._unconfirmed = body  # it may have landed: a later write checks for it
            raise
        self._known, self._unconfirmed = (state.copy(), new_etag), None

    def _written_anyway(self, body: bytes) -> str:
        """After a refused conditional write: the ETag if the object holds exactly ``body`` (a
        retry of a write whose answer was lost); if it holds an earlier write of ours whose
        outcome was unknown, ``body`` over it by CAS; else the conflict: this process stops
        (:attr:`lost`) and the error says so."""
        stored = self.bucket.get(self.spec.key)
        if stored is not None and stored.body == body:
            return stored.etag
        if stored is not None and stored.body == self._unconfirmed:
            try:
                return self.bucket.put(self.spec.key, body, if_match=stored.etag)
            except PreconditionFailed:
                stored = self.bucket.get(self.spec.key)
        now = describe_stored(stored, self.where)
        message = (f"the state object {self.where} changed since this command read it ({now}): "
                   "another apply wrote it, so this one stops without overwriting it")
        if self._locked:  # despite our lock: another writer is active; write nothing more
            self._lose(message)
        raise StateConflictError(
            message, hint="the journal in .gcsapply/ keeps what this apply did, and what it "
                          "launched is adopted by its labels: run 'gcsapply plan DIR' to see the "
                          "state now")

    @property
    def lost(self) -> str | None:
        """Why this process may no longer write the state (its lock was taken, or another
        writer moved the object), or None."""
        return self._lost

    def _holding(self, held: bool) -> None:
        """What the lock tells the backend: while held, reads come from what this process knows
        (read afresh once the lock is ours)."""
        self._locked = held
        if held:
            self._known = None

    def _lose(self, message: str) -> None:
        self._lost = self._lost or message
        if self._on_lost is not None:
            self._on_lost(message)  # the engine starts nothing new

    def journal_header(self) -> list[dict]:
        state = self._known[0] if self._known else State.empty()
        return [{"phase": "base", "serial": state.serial, "lineage": state.lineage}]

    def open_journal(self, *, clock=None) -> Journal:
        return Journal(self.journal_path, clock=clock, header=self.journal_header)

    # -- the lock object -----------------------------------------------------------------------

    def lock(self, command: str, *, unlock_hint_dir: str, clock=None, on_lost=None):
        self._on_lost = on_lost
        if self.spec.lock == "external":
            return NoLock(self, self._holding)
        return LeaseLock(self.bucket, self.spec, command, unlock_hint_dir=unlock_hint_dir,
                         clock=clock, on_lost=self._lose, holding=self._holding,
                         probe=lambda: probe_conditional_writes(self.bucket, self.spec))

    def read_lock(self, *, clock=None) -> LeaseHolder | None:
        """The holder, its heartbeat's age judged by ``clock`` (the command's)."""
        return read_lease(self.bucket, self.spec.lock_key, clock=clock)

    def unlock(self, lock_id: str | None) -> LeaseHolder | None:
        return unlock(self.bucket, self.spec, lock_id)


def parse_state(body: bytes, where: str) -> State:
    """A stored state document; anything else is a :class:`StateError` naming the object."""
    return parse_state_bytes(body, where=where, what="the state object", hint=REMOTE_HINT)


def describe_stored(stored: StoredObject | None, where: str) -> str:
    if stored is None:
        return "it was deleted"
    try:
        state = parse_state(stored.body, where)
    except StateError:
        return "it is no longer a state document"
    return f"now serial {state.serial} of lineage {excerpt(str(state.lineage), 12)}"
