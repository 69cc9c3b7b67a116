"""``state.lock``: one apply or destroy at a time per state file (DESIGN §3).

The lock is a small JSON file created atomically (``O_CREAT | O_EXCL``) beside ``state.json``.
It names its holder: pid, host, command, start time, and the holder's process start time so a
recycled pid is not mistaken for the holder. A second apply fails with those details and the
hint ``gcsapply state unlock <the stack directory>``; a lock left by a process that is gone from this host is
released with a warning (that is what a ``kill -9`` leaves behind). A lock file that cannot be
read -- damaged, of another version, an impossible pid, not a regular file -- counts as held:
whose it is cannot be told. Taking the lock also cuts off a journal line that a crashed holder
left torn (:meth:`gcsapply.state.journal.Journal.repair`), before anything is appended.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import socket
import stat
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from gcsapply.clock import SystemClock
from gcsapply.diagnostics import excerpt
from gcsapply.errors import LockHeldError, StateError
from gcsapply.state.journal import JOURNAL_NAME, Journal
from gcsapply.state.shapes import loads_strict

LOCK_NAME = "state.lock"
MAX_PID = 2**22  # Linux's largest pid_max; a bigger pid in a lock file is damage


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock. ``token`` tells our own lock from a successor's."""

    pid: int
    host: str
    command: str
    started_at: str  # ISO 8601, UTC
    token: str = ""
    process_start: str | None = None  # /proc/<pid>/stat start time, when known

    def describe(self) -> str:
        if self is UNKNOWN:
            return "an unknown holder (the lock file cannot be read)"
        return (f"pid {self.pid} on host {excerpt(self.host)}, command "
                f"'{excerpt(self.command, 200)}', started {excerpt(self.started_at)}")


UNKNOWN = LockHolder(pid=0, host="?", command="?", started_at="?")  # an unreadable lock file


class StateLock:
    """The lock file of one state file. Use as a context manager or acquire()/release()."""

    def __init__(self, path: Path, command: str, *, unlock_hint_dir: str | None = None,
                 now: float | None = None):
        self.path = Path(path)
        self.command = command
        self.unlock_hint_dir = unlock_hint_dir
        self.warnings: list[str] = []
        self._now = now
        self._holder: LockHolder | None = None

    def acquire(self) -> LockHolder:
        """Take the lock, or raise :class:`LockHeldError` naming the live holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        holder = LockHolder(pid=os.getpid(), host=socket.gethostname(), command=self.command,
                            started_at=_iso(self._now), token=uuid.uuid4().hex,
                            process_start=_process_start(os.getpid()))
        for _ in range(3):
            if _create_exclusive(self.path, holder):
                self._holder = holder
                self._repair_journal()
                return holder
            current = read_lock(self.path)
            if current is None:
                continue  # released between our attempts: try again
            if _is_damaged(current):
                # whose it is cannot be told (another host, another version): never taken over
                raise LockHeldError(
                    "the state is locked, but the lock file cannot be read to tell by whom",
                    where=str(self.path),
                    hint=("if no apply or destroy of this stack is running anywhere, run "
                          f"'gcsapply state unlock {shlex.quote(self.unlock_hint_dir or '.')}'"))
            if not holder_is_dead(current):
                raise LockHeldError(
                    f"the state is locked by {current.describe()}",
                    where=str(self.path),
                    hint=("wait for it to finish; if it is gone, run "
                          f"'gcsapply state unlock {shlex.quote(self.unlock_hint_dir or '.')}"
                          f"{_lock_id_flag(current)}'"))
            self.warnings.append(
                f"released a stale lock: its holder ({current.describe()}) is no longer "
                "running on this host; pending journal entries will be resolved")
            _remove_if_token(self.path, current.token)
        raise LockHeldError(f"could not take the lock {self.path}: it keeps changing",
                            hint="another gcsapply process is starting; try again")

    def _repair_journal(self) -> None:
        """The holder is the journal's only writer: cut off a line a crashed holder left torn,
        before anything is appended to it (the whole journal is kept beside it)."""
        journal = Journal(self.path.with_name(JOURNAL_NAME), clock=_FixedClock(self._now))
        try:
            kept = journal.repair()
        except BaseException:
            self.release()
            raise
        if kept is not None:
            self.warnings.append(
                f"the last line of {journal.path} was cut short by a crash; it was cut off, "
                f"and the whole journal kept as {kept.name}")

    def release(self) -> None:
        """Remove the lock if it is still ours."""
        if self._holder is not None:
            _remove_if_token(self.path, self._holder.token)
            self._holder = None

    @property
    def held(self) -> bool:
        return self._holder is not None

    def __enter__(self) -> "StateLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def read_lock(path: Path) -> LockHolder | None:
    """The holder recorded in ``path``, or None when there is no lock file. A lock file that
    cannot be read (damaged, another version's, not a regular file) gives :data:`UNKNOWN`:
    whose it is cannot be told, so it counts as held."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the lock file: {exc.strerror}", where=str(path)) from exc
    if not stat.S_ISREG(mode):
        return UNKNOWN
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the lock file: {exc.strerror}", where=str(path)) from exc
    # Locks appear complete (see _create_exclusive): an unreadable one was damaged after the
    # fact or written by another version.
    try:
        fields = loads_strict(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return UNKNOWN
    return _holder(fields) or UNKNOWN


def force_unlock(path: Path) -> LockHolder | None:
    """Remove the lock whoever holds it (``gcsapply state unlock``); returns the old holder."""
    holder = read_lock(path)
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot remove the lock file: {exc.strerror}", where=str(path),
                         hint="remove it by hand once no apply or destroy of this stack "
                              "is running") from exc
    return holder


def holder_is_dead(holder: LockHolder) -> bool:
    """True when the holder is certainly gone: same host and no such process (or a new one)."""
    if _is_damaged(holder):
        return False  # nobody can tell whose it is: it stays held
    if holder.host != socket.gethostname():
        return False  # another machine: we cannot tell, so it stays held
    if not _pid_alive(holder.pid):
        return True
    if holder.process_start is not None:
        current = _process_start(holder.pid)
        return current is not None and current != holder.process_start
    return False


def _is_damaged(holder: LockHolder) -> bool:
    return holder is UNKNOWN


def _holder(fields) -> LockHolder | None:
    """The holder a lock file's JSON names, or None when a field is missing or of the wrong
    shape (a pid must be one this system could have: an enormous one is damage, too)."""
    if not isinstance(fields, dict):
        return None
    pid = fields.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid <= MAX_PID:
        return None
    texts = {name: fields.get(name, default) for name, default in
             (("host", None), ("command", "?"), ("started_at", "?"), ("token", ""))}
    if not all(isinstance(value, str) for value in texts.values()) or not texts["host"]:
        return None
    process_start = fields.get("process_start")
    if process_start is not None and not isinstance(process_start, str):
        return None
    return LockHolder(pid=pid, process_start=process_start, **texts)


def _create_exclusive(path: Path, holder: LockHolder) -> bool:
    """Write the holder to a temporary file, then hard-link it into place: the lock appears
    atomically and complete, and exactly one of two racing processes gets it."""
    temporary = path.with_name(f".{path.name}.{holder.token}")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(holder), sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    return True


def _lock_id_flag(holder: LockHolder) -> str:
    """`` --lock-id <id>`` when the lock has a printable id (older locks have none)."""
    token = holder.token
    return f" --lock-id {token}" if token and token.isalnum() and len(token) <= 64 else ""


def _remove_if_token(path: Path, token: str) -> None:
    current = read_lock(path)
    if current is None or current.token != token:
        return
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return True  # not a pid this system has: whose lock it is cannot be told
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), Linux only."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


class _FixedClock(SystemClock):
    """System time, or the ``now`` a lock was made with (tests)."""

    def __init__(self, now: float | None):
        self._fixed = now

    def now(self) -> float:
        return super().now() if self._fixed is None else self._fixed


def _iso(now: float | None) -> str:
    moment = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(now, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
