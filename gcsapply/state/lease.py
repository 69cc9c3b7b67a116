"""The lock of a remote state: an object with a lease, taken and kept by conditional writes.

``<key>.lock`` is created with ``If-None-Match: *``, so of two runners exactly one creates it.
It names its holder (id, user, host, pid, command, start, the CI run when known) and carries a
heartbeat the holder renews every few seconds by compare-and-swap on the object's ETag
(``If-Match``). A second ``apply`` or ``destroy`` anywhere fails naming the holder and how long
ago it last beat. CI jobs get cancelled and runners vanish: a lock whose heartbeat is older than
its lease (``spec.state.lockLease``, default 5m) is taken over with a warning naming the dead
holder, again by CAS on the ETag that was read, so of two takers exactly one wins. A holder that
finds its lock taken (its renewal refused) stops starting anything and never writes the state
again: its state writes are CAS too.

The lease is judged by the taker's clock against the holder's last heartbeat time: runners'
clocks must agree to well within a lease (NTP does). A lease must outlast the longest time a
request may still be on its way to GCS, so a taker never plans before a dead holder's last call
has landed (:data:`gcsapply.manifest.specs.MIN_LOCK_LEASE_SECONDS`).

A store that ignores conditional writes would let two runners both take the lock: it is found by
a probe (:func:`gcsapply.state.objects.probe_conditional_writes`, once per bucket per
process) and refused, unless
``lock: external`` leaves locking to CI's own concurrency control (a warning on every apply).
A lock object that cannot be read counts as held; its id is then its ETag.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import socket
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from gcsapply.clock import SystemClock
from gcsapply.diagnostics import excerpt
from gcsapply.errors import LockHeldError, StateError, UsageError
from gcsapply.state.objects import Bucket, ConditionalUnsupported, PreconditionFailed
from gcsapply.state.shapes import loads_strict

LOCK_FORMAT = 1
# How long after it is sent a call may still land in GCS: the client's 30 s request timeout and
# the 30 s grace of gcsapply.engine.recorder.settle_seconds. A holder that cannot renew stops
# starting calls this long before its lease runs out, so none lands after a takeover.
SETTLE_SECONDS = 60.0
MAX_LOCK_BYTES = 64 * 1024
_CI_RUN_VARIABLES = ("CI_JOB_URL", "BUILD_URL", "CI_PIPELINE_URL", "BUILDKITE_BUILD_URL")


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a remote lock, as its object says. ``age``: seconds since its last heartbeat,
    by the reader's clock (None when unknown)."""

    id: str
    holder: str
    host: str
    pid: int
    command: str
    started_at: str
    heartbeat_at: float
    lease_seconds: float
    ci_run: str | None = None
    abandoned_at: float | None = None  # when its holder stopped with calls that may still land
    age: float | None = None
    readable: bool = True

    def describe(self) -> str:
        if not self.readable:
            return f"an unknown holder (the lock object cannot be read; lock id {self.id})"
        ci = f", CI run {excerpt(self.ci_run, 200)}" if self.ci_run else ""
        beat = "" if self.age is None else f", last heartbeat {_ago(self.age)}"
        if self.abandoned_at is not None and self.age is not None:
            left = self.age - (self.abandoned_at - self.heartbeat_at)
            beat += (f"; it ended {_ago(left)} leaving calls of unknown outcome, and is free "
                     f"{SETTLE_SECONDS:.0f}s after that")
        return (f"'{excerpt(self.command, 200)}' of {excerpt(self.holder)} on host "
                f"{excerpt(self.host)} (pid {self.pid}, lock id {self.id}{ci}), started "
                f"{excerpt(self.started_at)}{beat}")

    def to_json(self) -> dict:
        data = asdict(self)
        del data["age"], data["readable"]
        return {"version": LOCK_FORMAT, **data}


class LeaseLock:
    """The lock object of one remote state, held by this process while ``apply`` runs."""

    def __init__(self, bucket: Bucket, spec, command: str, *, unlock_hint_dir: str, clock=None,
                 on_lost=None, holding=None, probe=None, beat_seconds: float | None = None):
        self.bucket, self.spec, self.command = bucket, spec, command
        self.unlock_hint_dir = unlock_hint_dir
        self.clock = clock or SystemClock()
        self.on_lost, self._holding, self._probe = on_lost, holding, probe
        self.beat_seconds = beat_seconds or max(1.0, min(5.0, spec.lease_seconds / 6))
        self.warnings: list[str] = []
        self.lost: str | None = None
        self._holder: LeaseHolder | None = None
        self._etag = ""
        self._renewed_at = 0.0  # clock.monotonic() of the last write of the lock
        self._conditional_delete = True
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._holder is not None

    def acquire(self) -> LeaseHolder:
        if self._probe is not None:
            self._conditional_delete = self._probe()
        key = self.spec.lock_key
        for _ in range(5):
            mine = self._new_holder()
            try:
                return self._took(self.bucket.put(key, _body(mine), if_none_match=True), mine)
            except PreconditionFailed:
                pass
            stored = self.bucket.get(key, limit=MAX_LOCK_BYTES)
            if stored is None:
                continue  # released between our two calls: try again
            current = parse_lease(stored.body, stored.etag, now=self.clock.now())
            if current.id == mine.id:  # our create landed; its answer was lost and the retry refused
                return self._took(stored.etag, mine)
            if not current.readable:
                raise LockHeldError(
                    "the state is locked, but the lock object cannot be read to tell by whom",
                    where=f"{self.spec.url}.lock", hint=self._unlock_hint(current.id))
            lease = max(self.spec.lease_seconds, current.lease_seconds)
            if current.abandoned_at is not None:  # its holder stopped: only its calls may land
                lease = min(lease, SETTLE_SECONDS + current.abandoned_at - current.heartbeat_at)
            if current.age is None or current.age <= lease:
                raise LockHeldError(f"the state is locked by {current.describe()}",
                                    where=f"{self.spec.url}.lock", hint=self._unlock_hint(current.id))
            try:
                taken = self._took(self.bucket.put(key, _body(mine), if_match=stored.etag), mine)
            except PreconditionFailed:
                continue  # another runner took it first: read who
            self.warnings.append(
                f"took over a stale lock: its holder {current.describe()} has not renewed it for "
                f"longer than its lease ({lease:.0f}s); what it left running is adopted by labels")
            return taken
        raise LockHeldError(f"could not take the lock {self.spec.url}.lock: it keeps changing",
                            hint="another gcsapply is starting on this stack; try again")

    def release(self) -> None:
        self._stop_heartbeats()
        if self._holder is None:
            return
        self._holder = None
        if self._holding is not None:
            self._holding(False)
        if self.lost:
            return  # not ours any more: never remove a successor's lock
        key = self.spec.lock_key
        try:
            if self._conditional_delete:
                self.bucket.delete(key, if_match=self._etag)
            else:  # the store cannot delete conditionally: look first
                stored = self.bucket.get(key, limit=MAX_LOCK_BYTES)
                if stored is not None and stored.etag == self._etag:
                    self.bucket.delete(key)
        except PreconditionFailed:
            pass  # taken over after our last heartbeat: it is the taker's now

    def _took(self, etag: str, mine: LeaseHolder) -> LeaseHolder:
        self._etag, self._holder, self._renewed_at = etag, mine, self.clock.monotonic()
        if self._holding is not None:
            self._holding(True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="gcsapply-lock-heartbeat",
                                        daemon=True)
        self._thread.start()
        return mine

    def renew(self) -> bool:
        """One heartbeat: renew the lock by CAS on its ETag. False once the lock is not ours
        (taken over, or unrenewable for a whole lease: :attr:`lost` says why) or released."""
        with self._guard:
            holder = self._holder
            if holder is None or self.lost:
                return False
            started = self.clock.monotonic()  # a taker counts from the time stamped now
            renewed = LeaseHolder(**{**asdict(holder), "heartbeat_at": self.clock.now()})
            try:
                self._etag = self.bucket.put(self.spec.lock_key, _body(renewed),
                                             if_match=self._etag, quick=True)
                self._holder, self._renewed_at = renewed, started
            except PreconditionFailed:
                stored = self.bucket.get(self.spec.lock_key, limit=MAX_LOCK_BYTES)
                current = None if stored is None else \
                    parse_lease(stored.body, stored.etag, now=self.clock.now())
                if current is not None and current.id == holder.id:  # our renewal landed,
                    self._etag, self._renewed_at = stored.etag, started  # its answer was lost
                    return True
                by = "nobody (it was removed)" if current is None else current.describe()
                self._lose(f"the lock was taken from this apply; it is now held by {by}")
                return False
            except StateError:
                if self.clock.monotonic() - self._renewed_at > self.spec.lease_seconds - SETTLE_SECONDS:
                    self._lose("the lock could not be renewed for so long that another runner may "
                               "take it over before a call sent now could land")
                    return False
            return True

    def abandon(self) -> None:
        """Stop renewing, and leave the lock to expire after its lease rather than release it:
        this process leaves calls of unknown outcome that only its own journal knows, and no
        other runner may plan before they could have landed."""
        self._stop_heartbeats()
        holder = self._holder
        if holder is not None and not self.lost:  # say so in the lock: a taker waits only for
            left = LeaseHolder(**{**asdict(holder), "abandoned_at": self.clock.now()})  # the calls
            try:
                self._etag = self.bucket.put(self.spec.lock_key, _body(left), if_match=self._etag,
                                             quick=True)
            except (PreconditionFailed, StateError):
                pass  # unsaid: the lock then expires after its whole lease
        self.lost = self.lost or "left to expire: calls of unknown outcome are pending"

    def _stop_heartbeats(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _beat(self) -> None:
        """Renew the heartbeat every :attr:`beat_seconds` (:meth:`renew`) until released or lost."""
        while not self._stop.wait(self.beat_seconds):
            if not self.renew():
                return

    def _lose(self, message: str) -> None:
        self.lost = message
        if self.on_lost is not None:
            self.on_lost(message)

    def _new_holder(self) -> LeaseHolder:
        now = self.clock.now()
        return LeaseHolder(
            id=uuid.uuid4().hex, holder=_user(), host=socket.gethostname(), pid=os.getpid(),
            command=self.command, started_at=_iso(now), heartbeat_at=now,
            lease_seconds=self.spec.lease_seconds, ci_run=ci_run(os.environ))

    def _unlock_hint(self, lock_id: str) -> str:
        return ("wait for it to finish; a lock whose heartbeat stops is taken over after "
                f"{self.spec.lease_seconds:.0f}s; if its holder is certainly gone, run 'gcsapply "
                f"state unlock {shlex.quote(self.unlock_hint_dir)} --lock-id {lock_id}'")


class NoLock:
    """``lock: external``: no lock object; CI's concurrency control serialises applies."""

    def __init__(self, backend, holding):
        self.warnings: list[str] = []
        self.lost: str | None = None
        self._backend, self._holding = backend, holding
        self.held = False

    def acquire(self) -> None:
        self.warnings.append(
            f"spec.state.lock is external: no lock is taken on {self._backend.where}; two "
            "applies of this stack must never run at once (use your CI's concurrency control)")
        self.held = True
        self._holding(True)

    def release(self) -> None:
        if self.held:
            self.held = False
            self._holding(False)


def read_lease(bucket: Bucket, key: str, *, clock=None) -> LeaseHolder | None:
    stored = bucket.get(key, limit=MAX_LOCK_BYTES)
    if stored is None:
        return None
    return parse_lease(stored.body, stored.etag, now=(clock or SystemClock()).now())


def unlock(bucket: Bucket, spec, lock_id: str | None) -> LeaseHolder | None:
    """``gcsapply state unlock DIR --lock-id ID``: remove the lock only if it is still ``ID``."""
    if not lock_id:
        raise UsageError("a shared lock is removed only by its id: add --lock-id ID",
                         hint="the id is in the error of the apply that was refused, and in "
                              "'gcsapply plan DIR' while the lock is held")
    stored = bucket.get(spec.lock_key, limit=MAX_LOCK_BYTES)
    if stored is None:
        return None
    current = parse_lease(stored.body, stored.etag, now=SystemClock().now())
    if current.id != lock_id:
        raise StateError(f"the lock is not {excerpt(lock_id)}: it is now held by "
                         f"{current.describe()}", where=f"{spec.url}.lock",
                         hint="nothing was removed; a lock is removed only while it is the one named")
    try:
        bucket.delete(spec.lock_key, if_match=stored.etag)
    except (PreconditionFailed, ConditionalUnsupported):
        raise StateError("the lock changed while it was being removed; nothing was removed",
                         where=f"{spec.url}.lock", hint="look again with 'gcsapply plan DIR'") from None
    return current


def parse_lease(body: bytes, etag: str, *, now: float) -> LeaseHolder:
    """The holder a lock object names; unreadable (damaged, another version's) when it cannot
    be read, with its ETag as its id."""
    try:
        data = loads_strict(body.decode("utf-8"))
        holder = LeaseHolder(**{name: data[name] for name in (
            "id", "holder", "host", "pid", "command", "started_at", "heartbeat_at",
            "lease_seconds")}, ci_run=data.get("ci_run"), abandoned_at=data.get("abandoned_at"))
    except (ValueError, UnicodeDecodeError, TypeError, KeyError):
        return _unreadable(etag)
    if data.get("version") != LOCK_FORMAT or not _sound(holder):
        return _unreadable(etag)
    return LeaseHolder(**{**asdict(holder), "age": now - holder.heartbeat_at})


def ci_run(environ) -> str | None:
    """The CI run that holds the lock, when the environment tells."""
    if environ.get("GITHUB_RUN_ID"):
        server, repository = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_REPOSITORY")
        if server and repository:
            return f"{server}/{repository}/actions/runs/{environ['GITHUB_RUN_ID']}"
        return f"GitHub Actions run {environ['GITHUB_RUN_ID']}"
    return next((environ[name] for name in _CI_RUN_VARIABLES if environ.get(name)), None)


def _sound(holder: LeaseHolder) -> bool:
    texts = (holder.id, holder.holder, holder.host, holder.command, holder.started_at)
    numbers = (holder.heartbeat_at, holder.lease_seconds)
    return (all(isinstance(text, str) and 0 < len(text) <= 2000 for text in texts)
            and holder.id.isalnum()
            and isinstance(holder.pid, int) and not isinstance(holder.pid, bool)
            and all(isinstance(n, (int, float)) and not isinstance(n, bool) and 0 <= n < 1e11
                    for n in numbers)
            and (holder.ci_run is None or isinstance(holder.ci_run, str))
            and (holder.abandoned_at is None or (isinstance(holder.abandoned_at, (int, float))
                                                 and not isinstance(holder.abandoned_at, bool)
                                                 and holder.heartbeat_at <= holder.abandoned_at < 1e11)))


def _unreadable(etag: str) -> LeaseHolder:
    lock_id = "".join(c for c in etag if c.isalnum()) or "unknown"
    return LeaseHolder(id=lock_id, holder="?", host="?", pid=0, command="?", started_at="?",
                       heartbeat_at=0.0, lease_seconds=0.0, readable=False)


def _body(holder: LeaseHolder) -> bytes:
    return (json.dumps(holder.to_json(), sort_keys=True) + "\n").encode("utf-8")


def _user() -> str:
    for name in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "LOGNAME"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "an unknown user"


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future (the clocks of the two machines disagree)"
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    return f"{seconds / 60:.0f}m ago" if seconds < 7200 else f"{seconds / 3600:.1f}h ago"


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
