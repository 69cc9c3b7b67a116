"""Every path a manifest names stays inside the stack directory (DESIGN §7b).

``plan`` runs on pull requests with the team's credentials in the environment, so a path
written in a manifest (a Workflow's ``spec.template``, an ExecutionSet's ``spec.samples``, the
Stack's ``spec.state.path``) is hostile: it must resolve, after every symbolic link is
followed, inside the stack directory (the DIR given to the command, itself resolved). An
absolute path, a ``../`` that climbs out, or a link (or chain of links) whose target lies
outside is refused with the path as written, never with the target or its content. So is a
path into a hidden file or folder of the stack, before or after links (``.git/config`` holds
the checkout's token, ``.env`` files hold secrets; discovery skips them too), except the state
file's homes: ``.gcsapply/`` of the stack directory or of the Stack manifest's folder.
Special files (FIFOs, devices, sockets, directories, anything under ``/proc`` or ``/sys``) are
refused from ``stat`` alone, before anything opens them.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gcsapply.diagnostics import quote

OUTSIDE = "path-outside-stack"
HIDDEN = "hidden-path"
SPECIAL_ROOTS = ("/proc", "/sys")  # pseudo-files stat calls regular; devices fail S_ISREG
OUTSIDE_HINT = ("paths in manifests must stay inside the stack directory, symbolic links "
                "included: copy the file into the stack")
HIDDEN_HINT = ("gcsapply reads no hidden file or folder (.git, .env, ...): they often hold "
               "credentials; move the file to an ordinary folder of the stack")
NOT_REGULAR = "is not a regular file (a FIFO, device or socket)"
PATH_LIMIT = 80  # characters of a written path a message quotes


@dataclass(frozen=True)
class NamedPath:
    """A path a manifest names, resolved against the folder of the file that names it."""

    written: str  # as written in the manifest
    path: Path  # absolute, normalised; symbolic links not followed (what is opened)
    shown: str  # as reached from DIR, forward slashes
    problem: str | None = None  # why it cannot be used: "does not exist", "is outside ..."
    code: str | None = None  # OUTSIDE or HIDDEN when gcsapply refuses to read it, else None

    @property
    def refused(self) -> bool:
        """Confinement refuses it (outside the stack, or hidden), whether it exists or not."""
        return self.code is not None

    @property
    def hint(self) -> str:
        return HIDDEN_HINT if self.code == HIDDEN else OUTSIDE_HINT

    def message(self, what: str) -> str:
        """``template 'x.yaml' does not exist``: the path as written, never where it leads."""
        return f"{what} {quote(self.written, PATH_LIMIT)} {self.problem}"


def stack_root(root: Path) -> str:
    """The stack directory with every symbolic link resolved: what "inside" means."""
    return os.path.realpath(root)


def is_inside(real: str, root_real: str) -> bool:
    """``real`` (resolved) is ``root_real`` or under it."""
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def name_path(root: Path, document_file: str, value: str, *, must_exist: bool = True,
              hidden_ok: str | tuple[str, ...] = ()) -> NamedPath:
    """Resolve ``value``, written in ``document_file`` (as shown from DIR), and say what is
    wrong with it, if anything; nothing is opened. With ``must_exist`` false (the state file,
    created by the first apply) a file that does not exist yet is fine; ``hidden_ok`` names the
    hidden folders (as reached from DIR, e.g. ``.gcsapply`` or ``manifests/.gcsapply``) the
    path may be in."""
    path = resolve_relative(document_file, root, value)
    named = NamedPath(value, path, shown_path(root, path))
    if os.path.isabs(value):
        return _refused(named, "is an absolute path; it must be relative and stay inside the stack directory")
    if named.shown == ".." or named.shown.startswith("../"):
        return _refused(named, "leads outside the stack directory")
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):  # an embedded NUL byte, or a name the OS cannot take
        return _problem(named, path_problem(path) or "does not exist")
    root_real = stack_root(root)
    if not is_inside(real, root_real):
        return _refused(named, "is a symbolic link that leads outside the stack directory")
    allowed = (hidden_ok,) if isinstance(hidden_ok, str) else tuple(hidden_ok)
    if _hidden(named.shown, allowed) or _hidden(os.path.relpath(real, root_real),
                                                _real_folders(root, root_real, allowed)):
        return _refused(named, "is a hidden file or in a hidden folder", HIDDEN)
    if _is_special_place(real):
        return _refused(named, "is a special file")
    what = path_problem(Path(real))
    if what == "does not exist" and not must_exist:
        return named
    return _problem(named, what)


def link_problem(path: Path, root_real: str) -> tuple[str, str] | None:
    """``(code, problem)`` when ``path`` is a symbolic link (or a chain of them) leading outside
    the stack or into a hidden file or folder of it; None otherwise. Nothing is opened."""
    if not os.path.islink(path):
        return None
    real = os.path.realpath(path)
    if not is_inside(real, root_real):
        return OUTSIDE, "is a symbolic link that leads outside the stack directory"
    if _hidden(os.path.relpath(real, root_real), ()):
        return HIDDEN, "is a symbolic link to a hidden file or folder"
    return None


def path_problem(path: Path, *, directory: bool = False) -> str | None:
    """Why ``path`` is no readable regular file (or directory): ``does not exist``, ``is a
    directory``, ``is not a regular file``, ``cannot be read (...)``; None when it is fine.
    Never raises (over-long names, NUL bytes and symlink loops included) and never opens it (a
    FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # an embedded NUL byte
        return "does not exist"
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "does not exist"
        return f"cannot be read ({exc.strerror})"
    if directory:
        return None if stat.S_ISDIR(mode) else "is not a directory"
    if stat.S_ISDIR(mode):
        return "is a directory"
    return None if stat.S_ISREG(mode) else NOT_REGULAR


def shown_path(root: Path, path: Path) -> str:
    """``path`` as reached from ``root`` (``../x`` when outside it), with forward slashes."""
    return Path(os.path.relpath(path, root)).as_posix()


def resolve_relative(document_file: str, root: Path, value: str) -> Path:
    """A path written in ``document_file`` (shown path), resolved against that file's folder."""
    base = root / Path(document_file).parent
    return Path(os.path.normpath(base / value))


def _is_special_place(real: str) -> bool:
    return any(is_inside(real, place) for place in SPECIAL_ROOTS)


def _real_folders(root: Path, root_real: str, folders: tuple[str, ...]) -> tuple[str, ...]:
    """``folders`` as reached from the real stack directory: the links of their parents are
    followed (a linked Stack folder), never a link that is the hidden folder itself (a
    ``.gcsapply -> .git`` link stays refused); a parent that is hidden after links is dropped."""
    out = []
    for folder in folders:
        parent, name = os.path.split(folder)
        real_parent = os.path.relpath(os.path.realpath(root / parent), root_real)
        if is_inside(os.path.realpath(root / parent), root_real) and not _hidden(real_parent, ()):
            out.append(os.path.normpath(os.path.join(real_parent, name)))
    return tuple(out)


def _hidden(relative: str, allowed: tuple[str, ...]) -> bool:
    """``relative`` is, or is in, a hidden file or folder other than the ``allowed`` folders."""
    parts = Path(relative).parts
    for folder in allowed:
        prefix = Path(folder).parts
        if parts[:len(prefix)] == prefix:
            parts = parts[len(prefix):]
            break
    return any(part.startswith(".") and part not in (".", "..") for part in parts)


def _refused(named: NamedPath, problem: str, code: str = OUTSIDE) -> NamedPath:
    return NamedPath(named.written, named.path, named.shown, problem, code)


def _problem(named: NamedPath, problem: str | None) -> NamedPath:
    return NamedPath(named.written, named.path, named.shown, problem)
