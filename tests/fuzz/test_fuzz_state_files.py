"""Seeded in-process fuzzing of the files gcsapply keeps beside a stack: ``state.json``,
``journal.jsonl``, ``state.lock`` and a saved plan, damaged in any shape, must never crash a
command (DESIGN §8).

A real stack is applied three times against the embedded emulator: the second apply leaves a
superseded run in the state, the third (a new run) writes the journal, kept whole through a hard
link made before it (compaction replaces the journal's file, not the linked one). With the state
from before the third apply, that journal, a lock left by a dead process and a plan saved with
``plan --out``, every command below succeeds. Each case damages one of the four (types swapped,
keys deleted or added, huge numbers, NaN and 1e999, deep nesting, control characters, bytes that
are not UTF-8, truncation, a folder or FIFO in the file's place) and runs ``plan``,
``state list``, ``status``, ``apply PLAN`` and ``apply --auto-approve`` through ``cli.main``:
each exits 0 or 1, never with an internal error or a traceback, and an exit 1 names the damaged
file (or, for ``apply PLAN``, the saved plan it refuses as stale). Failures name the case's seed.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply.state.lock import StateLock

SEED = 20261203
CASES = 300
BATCHES = 6  # split so pytest-xdist can spread the work
FILES = ["state.json"] * 3 + ["journal.jsonl"] * 3 + ["state.lock"] * 2 + ["plan.json"] * 3

TYPE_SWAPS = [0, -1, 10**30, -(10**20), 1.5, True, False, None, "", "x" * 300, "\u6837\u672c",
              "\x1b[2J\u202e", "../../etc/passwd", "a\x00b", [], [1, "a"], [[[]]], {}, {"k": "v"},
              {"gcs_id": ["x"]}, "execution/a", "0" * 64]
RAW_VALUES = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"9" * 5000, b"1" * 20,
              b"[" * 5000 + b"]" * 5000, b"[" * 90 + b"]" * 90, b'{"a":' * 3000 + b"1" + b"}" * 3000,
              b'"\\ud800"', b'"\\u0000"', b"1.0e308", b"-0", b"true", b"null"]


@pytest.mark.parametrize("batch", range(BATCHES))
def test_damaged_state_journal_lock_and_saved_plan_never_crash_a_command(
        batch, tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys, execution_names="any")
    originals, database = _real_files(gcs, tmp_path)
    work = gcs.root / ".gcsapply"
    paths = {"state.json": work / "state.json", "journal.jsonl": work / "journal.jsonl",
             "state.lock": work / "state.lock", "plan.json": tmp_path / "plan.json"}
    for case in range(batch, CASES, BATCHES):
        rng = random.Random(SEED * 1000 + case)
        name = rng.choice(FILES)
        _restore(work, paths, originals, database)
        damage = _damage(rng, paths[name], originals[name])
        try:
            _check_case(gcs, paths, name)
        except AssertionError as exc:
            raise AssertionError(f"fuzz case {case} (seed {SEED * 1000 + case}), {name} "
                                 f"{damage!r}: {exc}") from None


def _check_case(gcs: Gcs, paths: dict, damaged: str) -> None:
    plan_file = paths["plan.json"]
    applied = False
    for argv in (["plan", gcs.root], ["state", "list", gcs.root], ["status", gcs.root],
                 ["apply", plan_file], ["apply", gcs.root, "--auto-approve"]):
        result = gcs.run(*argv)
        shown = " ".join(str(a) for a in argv[:2])
        assert result.code in (0, 1), f"{shown}: exit {result.code}: {result.err}"
        assert "internal error" not in result.err, f"{shown}: {result.err}"
        assert "Traceback" not in result.err, f"{shown}: {result.err}"
        if result.code == 1:
            named = [paths[damaged], paths[damaged].relative_to(paths[damaged].parents[1])]
            named += [plan_file] if argv[1] == plan_file else []
            assert any(str(path) in result.err for path in named), f"{shown}: {result.err}"
        applied = applied or (argv[0] == "apply" and result.code == 0)
    if applied:
        names = Counter(item["execution"]["name"] for item in gcs.executions())
        assert max(names.values()) == 1, f"a run launched twice: {names}"


def _real_files(gcs: Gcs, tmp_path: Path) -> tuple[dict, dict]:
    """The four files as real commands write them, and the emulator's database to match."""
    work = gcs.root / ".gcsapply"
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1"),
               "b.yaml": execution("b", "s2", extra="deletionPolicy: delete\n")})
    assert gcs.apply().code == 0
    gcs.write({"a.yaml": execution("a", "s9")})
    assert gcs.apply().code == 0
    state = (work / "state.json").read_bytes()
    (work / "journal.jsonl").touch()
    os.link(work / "journal.jsonl", tmp_path / "journal-as-written.jsonl")
    gcs.write({"c.yaml": execution("c", "s3")})
    assert gcs.apply().code == 0
    journal = (tmp_path / "journal-as-written.jsonl").read_bytes()
    assert journal.count(b"\n") >= 2
    gcs.write({"d.yaml": execution("d", "s4")})
    assert gcs.run("plan", gcs.root, "--out", tmp_path / "plan.json").code == 0
    lock = StateLock(work / "state.lock", f"apply {gcs.root}")
    lock.acquire()
    holder = json.loads((work / "state.lock").read_text())
    lock.release()
    holder["pid"] = _dead_pid()
    originals = {"state.json": state, "journal.jsonl": journal,
                 "state.lock": json.dumps(holder).encode(),
                 "plan.json": (tmp_path / "plan.json").read_bytes()}
    database = {path.name: path.read_bytes() for path in work.glob("emulator.sqlite*")}
    return originals, database


def _restore(work: Path, paths: dict, originals: dict, database: dict) -> None:
    for path in list(paths.values()) + list(work.glob("journal.jsonl.torn-*")):
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        elif path.exists() or path.is_symlink():
            path.unlink()
    for path in work.glob("emulator.sqlite*"):
        path.unlink()
    for name, data in database.items():
        (work / name).write_bytes(data)
    for name, data in originals.items():
        paths[name].write_bytes(data)


def _damage(rng: random.Random, path: Path, data: bytes) -> str:
    """Damage ``path`` (whose intact content is ``data``); returns what was done."""
    roll = rng.random()
    if roll < 0.04:
        path.unlink()
        kind = rng.choice(["folder", "fifo", "/dev/zero"])
        if kind == "folder":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        else:
            path.symlink_to("/dev/zero")
        return kind
    if roll < 0.35:
        damaged, what = _raw(rng, data)
    elif path.suffix == ".jsonl":
        damaged, what = _journal_line(rng, data)
    else:
        damaged, what = _document(rng, data)
    path.write_bytes(damaged)
    return what


def _raw(rng, data: bytes) -> tuple[bytes, str]:
    choice = rng.randrange(6)
    if choice == 0:
        cut = rng.randrange(len(data) + 1)
        return data[:cut], f"truncated at {cut}"
    if choice == 1:
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out), "bits flipped"
    if choice == 2:
        at = rng.randrange(len(data) + 1)
        bad = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf"])
        return data[:at] + bad + data[at:], f"{bad!r} at {at}"
    if choice == 3:
        return b"", "emptied"
    if choice == 4:
        return data + data, "doubled"
    value = rng.choice(RAW_VALUES)
    return value, f"replaced by {value[:20]!r}"


def _journal_line(rng, data: bytes) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines) - 1)  # the last piece is the empty one after a newline
    damaged, what = _document(rng, lines[index])
    lines[index] = damaged.replace(b"\n", b" ")
    return b"\n".join(lines), f"line {index + 1}: {what}"


def _document(rng, data: bytes) -> tuple[bytes, str]:
    document = json.loads(data)
    path, value = rng.choice(list(_nodes(document)))
    choice = rng.randrange(5)
    if choice == 0 and path:
        _set(document, path, rng.choice(TYPE_SWAPS))
        return _dump(document), f"{_shown(path)} -> another type"
    if choice == 1 and path and isinstance(_parent(document, path), dict):
        del _parent(document, path)[path[-1]]
        return _dump(document), f"{_shown(path)} deleted"
    if choice == 2 and isinstance(value, dict):
        value[rng.choice(["extra", "gcs_id", "kind", "\u202e", "set", "phase"])] = \
            rng.choice(TYPE_SWAPS)
        return _dump(document), f"{_shown(path)}: key added"
    marker = "__RAW__"
    if path:
        _set(document, path, marker)
    raw = rng.choice(RAW_VALUES)
    text = _dump(document) if path else b'"__RAW__"'
    return text.replace(f'"{marker}"'.encode(), raw, 1), f"{_shown(path)} -> {raw[:12]!r}"


def _nodes(value, path=()):
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, child in items:
        yield from _nodes(child, path + (key,))


def _parent(document, path):
    for key in path[:-1]:
        document = document[key]
    return document


def _set(document, path, value) -> None:
    _parent(document, path)[path[-1]] = value


def _dump(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


def _shown(path) -> str:
    return "/".join(str(part) for part in path) or "(top)"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


