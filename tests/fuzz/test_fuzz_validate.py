"""Seeded in-process fuzzing of ``gcsapply validate``: corrupted manifests, templates and sample
sheets must never produce a traceback; exit codes stay 0 or 1; ``--json`` always parses and
matches ``schemas/diagnostics.schema.json``.

Each case corrupts one or two files of the example stack (byte flips, truncation, line
deletion/duplication/swaps, key deletion/duplication, type swaps, random unicode, tabs, hostile
values: huge numbers, deep nesting, recursive aliases, merge keys, tags, huge ranges) and
runs the real CLI entry point twice (text and ``--json``). Every message, hint, file and path
must come out printable (control characters escaped) and bounded. Failures name the case's seed.
"""

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from gcsapply import cli
from gcsapply.diagnostics import MAX_TEXT
from gcsapply.schemas import load_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"
SEED = 20261128
CASES = 300
BATCHES = 4  # split so pytest-xdist can spread the work

TYPE_SWAPS = [0, -1, 10**30, 1.5, float("nan"), True, None, "", "x" * 300, "样本", [], [1, "a"], {},
              {"k": "v"}, "{{ sample.nope }}", "${undefined}", "{{", "https://", "gcsapply-x", "\t"]
UNICODE = ["\u00e9", "\u6837\u672c", "\u200b", "\ufeff", "\U0001f9ec", "\u0000", "\x85", "\u2028",
           "\r", "\\", '"', "'", ":", "#", "&a", "*a", "!tag", "%", "@", "`", "{", "]", "- ", "? "]


# Extra files beside the example stack, so inline rows and .tsv sheets are fuzzed too.
EXTRA_FILES = {
    "extra/trio.yaml": """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: trio}
spec:
  samples: trio.tsv
  key: sample
  template:
    workflow: qc
    inputs: {sample: "{{ sample.sample }}"}
    priority: 4
    labels: {lane: "L{{ sample.lane }}"}
""",
    "extra/trio.tsv": "sample\tlane\nNA12878\t1\nNA12891\t2\nNA12892\t3\n",
    "extra/inline.yaml": """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: inline}
spec:
  samples:
    - {id: S-1, regions: '["chr1"]'}
    - {id: 2, regions: '[]'}
  key: id
  template:
    workflow: germline
    inputs: {sample: "{{ sample.id }}", regions: "{{ sample.regions }}", threads: 4}
    runPolicy: {mode: untilSucceeded, rerunToken: "r{{ sample.id }}"}
""",
}


@pytest.fixture(scope="module")
def diagnostics_validator():
    return Draft202012Validator(load_schema("diagnostics"))


@pytest.mark.parametrize("batch", range(BATCHES))
def test_corrupted_stacks_never_crash_validate(batch, tmp_path, capsys, diagnostics_validator):
    root = tmp_path / "stack"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
    for name, text in EXTRA_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    assert cli.main(["validate", str(root)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    originals = {p: p.read_bytes() for p in files}
    for case in range(batch, CASES, BATCHES):
        rng = random.Random(SEED * 1000 + case)
        touched = rng.sample(files, k=rng.choice([1, 1, 1, 2]))
        for path in touched:
            path.write_bytes(_mutate(rng, originals[path], path.suffix))
        try:
            _check_case(root, capsys, diagnostics_validator)
        except AssertionError as exc:
            details = {p.relative_to(root).as_posix(): p.read_bytes()[:2000] for p in touched}
            raise AssertionError(f"fuzz case {case} (seed {SEED * 1000 + case}): {exc}\n{details!r}") from None
        for path in touched:
            path.write_bytes(originals[path])


def _check_case(root: Path, capsys, validator) -> None:
    code = cli.main(["validate", str(root)])
    out, err = capsys.readouterr()
    assert code in (0, 1), f"exit code {code}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert all(line.isprintable() for line in err.splitlines()), err
    if code == 0:
        assert out.startswith("Valid: ")
    else:
        assert err.strip(), "an error exit must say why"
    code_json = cli.main(["validate", str(root), "--json"])
    out, err = capsys.readouterr()
    assert code_json == code, f"--json exit {code_json} != {code}"
    assert "Traceback" not in err and "internal error" not in err, err
    document = json.loads(out)
    validator.validate(document)
    assert document["valid"] is (code == 0)
    for diagnostic in document["diagnostics"]:
        assert diagnostic["file"] is None or not Path(diagnostic["file"]).is_absolute()
        assert diagnostic["hint"], f"no hint: {diagnostic}"
        for field in ("message", "hint", "file", "path"):  # hostile bytes are quoted escaped
            assert diagnostic[field] is None or diagnostic[field].isprintable(), (field, diagnostic)
        assert len(diagnostic["message"]) <= MAX_TEXT and len(diagnostic["hint"]) <= MAX_TEXT, diagnostic


def _mutate(rng: random.Random, data: bytes, suffix: str) -> bytes:
    mutations = [_flip_bytes, _truncate, _delete_line, _duplicate_line, _swap_lines, _insert_unicode,
                 _tabs]
    if suffix in (".yaml", ".yml"):
        mutations += [_yaml_delete_key, _yaml_duplicate_key, _yaml_swap_type, _yaml_swap_type, _hostile]
    else:
        mutations += [_csv_cell]
    for _ in range(rng.choice([1, 1, 2, 3])):
        data = rng.choice(mutations)(rng, data)
    return data


HOSTILE = [b"9" * 5000, b"0x" + b"f" * 400, b"[" * 200 + b"]" * 200, b"&r [*r]", b"&a {k: *a}",
           b"!!str 42", b"!!int x", b"! 7", b"range(0, 100000000000000000000)", b"\"range(0, 10, 0)\"",
           b"{<<: {a: 1}}", b"*undefined", b"&x [x, *x, *x]", b"1e999", b"-.inf", b"\"${" + b"{" * 50 + b"}\""]


def _hostile(rng, data):
    """Replace the value of one `key: value` line by a hostile YAML value."""
    lines = _lines(data)
    keyed = [i for i, line in enumerate(lines) if b": " in line]
    if not keyed:
        return data + b"\nx: " + rng.choice(HOSTILE)
    i = rng.choice(keyed)
    lines[i] = lines[i].split(b": ", 1)[0] + b": " + rng.choice(HOSTILE)
    return b"\n".join(lines)


def _flip_bytes(rng, data):
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng, data):
    return data[: rng.randrange(len(data) + 1)]


def _lines(data):
    return data.split(b"\n")


def _delete_line(rng, data):
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _duplicate_line(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return b"\n".join(lines)


def _swap_lines(rng, data):
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _insert_unicode(rng, data):
    text = data.decode("utf-8", errors="replace")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(text) + 1)
        piece = rng.choice(UNICODE) if rng.random() < 0.7 else chr(rng.randrange(0x20, 0x2FFFF))
        if 0xD800 <= ord(piece[0]) <= 0xDFFF:
            piece = "\ufffd"
        text = text[:i] + piece + text[i:]
    return text.encode("utf-8")


def _tabs(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines[i] = b"\t" + lines[i].lstrip(b" ") if rng.random() < 0.5 else lines[i].replace(b" ", b"\t", 1)
    return b"\n".join(lines)


def _load(data):
    try:
        return list(yaml.safe_load_all(data.decode("utf-8")))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None


def _dump(documents):
    return yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False).encode("utf-8")


def _containers(value, out, seen=None):
    """Every non-empty mapping and list in ``value`` once (PyYAML builds recursive ones)."""
    seen = set() if seen is None else seen
    if isinstance(value, (dict, list)) and id(value) not in seen:
        seen.add(id(value))
        out.append(value)
        for item in (value.values() if isinstance(value, dict) else value):
            _containers(item, out, seen)
    return out


def _yaml_delete_key(rng, data):
    documents = _load(data)
    dicts = [c for c in _containers(documents, []) if isinstance(c, dict) and c] if documents else []
    if not dicts:
        return _delete_line(rng, data)
    target = rng.choice(dicts)
    del target[rng.choice(list(target))]
    return _dump(documents)


def _yaml_duplicate_key(rng, data):
    """Repeat a `key:` line right after itself (YAML would keep only the last)."""
    lines = _lines(data)
    keyed = [i for i, line in enumerate(lines) if b":" in line and not line.lstrip().startswith(b"-")]
    if not keyed:
        return _duplicate_line(rng, data)
    i = rng.choice(keyed)
    lines.insert(i + 1, lines[i])
    return b"\n".join(lines)


def _yaml_swap_type(rng, data):
    documents = _load(data)
    containers = [c for c in _containers(documents, []) if c] if documents else []
    if not containers:
        return _flip_bytes(rng, data)
    target = rng.choice(containers)
    key = rng.choice(list(target)) if isinstance(target, dict) else rng.randrange(len(target))
    target[key] = rng.choice(TYPE_SWAPS)
    try:
        return _dump(documents)
    except yaml.YAMLError:
        return data


def _csv_cell(rng, data):
    lines = _lines(data)
    i = rng.randrange(len(lines))
    cells = lines[i].split(b",")
    j = rng.randrange(len(cells))
    cells[j] = rng.choice([b"", b'"', b'"a,b"', b"HG002", "\u6837".encode(), b"\xff", b"a\tb", b"x" * 80])
    lines[i] = b",".join(cells)
    return b"\n".join(lines)
