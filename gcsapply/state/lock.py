"""``state.lock``: one apply or destroy at a time per state file (DESIGN §3).

The lock is a small JSON file created atomically (``O_CREAT | O_EXCL``) beside ``state.json``.
It names its holder: pid, host, command, start time, and the holder's process start time so a
recycled pid is not mistaken for the holder. A second apply fails with those details and the
hint ``gcsapply state unlock DIR``; a lock left by a process that is gone from this host is
released with a warning (that is what a ``kill -9`` leaves behind).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from gcsapply.errors import LockHeldError, StateError

LOCK_NAME = "state.lock"


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
        return (f"pid {self.pid} on host {self.host}, command '{self.command}', "
                f"started {self.started_at}")


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
                          f"'gcsapply state unlock {self.unlock_hint_dir or '.'}'"))
            if not holder_is_dead(current):
                raise LockHeldError(
                    f"the state is locked by {current.describe()}",
                    where=str(self.path),
                    hint=("wait for it to finish; if it is gone, run "
                          f"'gcsapply state unlock {self.unlock_hint_dir or '.'}'"))
            self.warnings.append(
                f"released a stale lock: its holder ({current.describe()}) is no longer "
                "running on this host; pending journal entries will be resolved")
            _remove_if_token(self.path, current.token)
        raise LockHeldError(f"could not take the lock {self.path}: it keeps changing",
                            hint="another gcsapply process is starting; try again")

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
    """The holder recorded in ``path``, or None when there is no lock file."""
    try:
        text = Path(path).read_text("utf-8", errors="replace")  # bad bytes: a damaged lock
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read the lock file: {exc.strerror}", where=str(path)) from exc
    try:
        data = json.loads(text)
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]),
                          command=str(data.get("command", "?")),
                          started_at=str(data.get("started_at", "?")),
                          token=str(data.get("token", "")),
                          process_start=data.get("process_start"))
    except (ValueError, KeyError, TypeError):
        # Locks appear complete (see _create_exclusive): an unreadable one was damaged after
        # the fact or written by another version; its holder cannot be told (_is_damaged).
        return LockHolder(pid=0, host="?", command="?", started_at="?", token="")


def force_unlock(path: Path) -> LockHolder | None:
    """Remove the lock whoever holds it (``gcsapply state unlock``); returns the old holder."""
    holder = read_lock(path)
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return None
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
    return holder.pid == 0 and holder.host == "?"


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


def _iso(now: float | None) -> str:
    moment = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(now, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
