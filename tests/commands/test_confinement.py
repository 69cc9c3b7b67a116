"""Paths a manifest names stay inside the stack; files outside it are never read or quoted
(DESIGN §7b). Through the real CLI: ``validate``, ``plan`` in every output format and ``apply``,
with a sentinel secret in files outside the stack and in the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE, Gcs

SENTINEL = "SENTINEL-SECRET-7f3a9c"
OUTPUTS = (("validate",), ("validate", "--json"), ("plan",), ("plan", "--json"), ("plan", "--markdown"))
HINT = ("  hint: paths in manifests must stay inside the stack directory, symbolic links included: "
        "copy the file into the stack")

STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: confined}
spec:
  endpoint: embedded
  defaults:
    execution: {environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}
"""
WORKFLOW = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: hello}
spec:
  template: templates/hello.yaml
"""
COHORT = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.csv
  key: sample_id
  template: {workflow: hello, inputs: {sample: "{{ sample.sample_id }}"}}
"""
# Files outside the stack, each shaped so that reading it would put the sentinel in a message
# or a plan: a header and rows, a template declaring it, a state file that is not JSON.
OUTSIDE = {
    "secret.csv": f"{SENTINEL},x\n{SENTINEL}-row,y\n",
    "secret.yaml": ECHO_TEMPLATE.replace("sample: {type: string, default: s0}",
                                         f"sample: {{type: string, default: {SENTINEL}}}"),
    "secret.json": f"{SENTINEL}\n",
}
FIELDS = {  # field -> (manifest file, its line of the field, the column, what the message calls it)
    "template": ("workflows.yaml", 5, 13, "template"),
    "samples": ("cohort.yaml", 5, 12, "sample sheet"),
    "state.path": ("stack.yaml", 8, 17, "state file"),
}


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys) -> Gcs:
    for name, text in OUTSIDE.items():
        (tmp_path / name).write_text(text)
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW, "templates/hello.yaml": ECHO_TEMPLATE,
               "cohort.yaml": COHORT, "samples.csv": "sample_id\nNA1\nNA2\n"})
    return gcs


def name_in_field(gcs: Gcs, field: str, written: str) -> None:
    """Make ``field`` name ``written``."""
    if field == "template":
        gcs.write({"workflows.yaml": WORKFLOW.replace("templates/hello.yaml", written)})
    elif field == "samples":
        gcs.write({"cohort.yaml": COHORT.replace("samples: samples.csv", f"samples: {written}")})
    else:
        gcs.write({"stack.yaml": STACK + f"  state: {{path: {written}}}\n"})


def reach_outside(gcs: Gcs, tmp_path: Path, field: str, way: str) -> str:
    """Point ``field`` at the outside file for it, ``way`` being ../, a symlink or an absolute
    path; returns the path as written in the manifest."""
    target = tmp_path / {"template": "secret.yaml", "samples": "secret.csv", "state.path": "secret.json"}[field]
    if way == "dotdot":
        written = f"../{target.name}"
    elif way == "absolute":
        written = str(target)
    else:
        written = {"template": "templates/link.yaml", "samples": "link.csv", "state.path": "link.json"}[field]
        (gcs.root / written).symlink_to(os.path.relpath(target, (gcs.root / written).parent))
    name_in_field(gcs, field, written)
    return written


def every_output(gcs: Gcs) -> list:
    return [(argv, gcs.run(argv[0], gcs.root, *argv[1:])) for argv in OUTPUTS]


@pytest.mark.parametrize("way", ["dotdot", "symlink", "absolute"])
@pytest.mark.parametrize("field", list(FIELDS))
def test_a_path_leading_outside_the_stack_is_refused_in_every_output_without_a_byte_of_the_file(
        gcs, tmp_path, field, way):
    written = reach_outside(gcs, tmp_path, field, way)
    expected = expected_stderr(field, way, written)
    for argv, result in every_output(gcs):
        assert result.code == 1, argv
        assert SENTINEL not in result.out + result.err, argv
        if "--json" in argv:
            document = json.loads(result.out)
            assert document["errors"] == expected.count(": error: ")
            assert [(d["file"], d["line"], d["column"], d["path"], d["code"]) for d in document["diagnostics"]
                    if d["path"] == f"spec.{field}"] == [(*FIELDS[field][:3], f"spec.{field}", "path-outside-stack")]
        elif "--markdown" in argv:  # the failure explained for the pull request, every error in it
            assert result.err == expected, argv
            assert result.out.startswith("### gcsapply plan failed\n"), argv
            assert all(line in result.out.splitlines() for line in expected.splitlines()[:-1]), argv
        else:
            assert (result.out, result.err) == ("", expected), argv
    assert not (gcs.root / ".gcsapply" / "state.json").exists()


def expected_stderr(field: str, way: str, written: str) -> str:
    file, line, column, what = FIELDS[field]
    problem = {"dotdot": "leads outside the stack directory",
               "symlink": "is a symbolic link that leads outside the stack directory",
               "absolute": "is an absolute path; it must be relative and stay inside the stack directory"}[way]
    shown = written if len(written) <= 80 else written[:77] + "..."
    lines = []
    if field == "template":  # the Workflow no longer names it
        lines.append("templates/hello.yaml:1:1: warning: template 'templates/hello.yaml' is not named by any "
                     "Workflow's spec.template (at version)\n  hint: reference it from a Workflow, or delete it")
    if field == "template" and way == "symlink":  # discovery meets the link too, and does not read it
        lines.append("templates/link.yaml: error: file 'templates/link.yaml' is a symbolic link that leads outside "
                     f"the stack directory; it is not read\n{HINT}")
    lines.append(f"{file}:{line}:{column}: error: {what} '{shown}' {problem} (at spec.{field})\n{HINT}")
    errors = sum(": error: " in entry for entry in lines)
    summary = f"{errors} error{'s' if errors > 1 else ''}, {len(lines) - errors} warning{'s' if field != 'template' else ''}"
    return "\n".join(lines + [summary]) + "\n"


def test_apply_refuses_a_sheet_outside_the_stack_and_launches_nothing(gcs, tmp_path):
    reach_outside(gcs, tmp_path, "samples", "dotdot")
    result = gcs.apply()
    assert result.code == 1
    assert SENTINEL not in result.out + result.err
    assert result.err.startswith("cohort.yaml:5:12: error: sample sheet '../secret.csv' leads outside the "
                                 "stack directory (at spec.samples)\n")
    assert gcs.executions() == []
    assert not (gcs.root / ".gcsapply" / "state.json").exists()


def test_the_environment_of_the_process_linked_as_a_sample_sheet_is_never_read(gcs, monkeypatch):
    monkeypatch.setenv("HW_SECRET_KEY", SENTINEL)
    (gcs.root / "samples.csv").unlink()
    (gcs.root / "samples.csv").symlink_to("/proc/self/environ")
    for argv, result in every_output(gcs):
        assert result.code == 1, argv
        assert SENTINEL not in result.out + result.err, argv
        if "--json" not in argv:
            assert result.err.startswith(
                "cohort.yaml:5:12: error: sample sheet 'samples.csv' is a symbolic link that leads outside "
                f"the stack directory (at spec.samples)\n{HINT}\n"), argv


def test_a_fifo_named_as_the_sample_sheet_is_refused_before_it_is_opened(gcs):
    (gcs.root / "samples.csv").unlink()
    os.mkfifo(gcs.root / "samples.csv")  # opening it for reading would block: there is no writer
    result = gcs.run("validate", gcs.root)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "cohort.yaml:5:12: error: sample sheet 'samples.csv' is not a regular file (a FIFO, device or "
        "socket) (at spec.samples)\n  hint: paths are relative to the folder of cohort.yaml\n"
        "1 error, 0 warnings\n")


def test_a_directory_or_a_fifo_as_the_template_or_state_file_is_refused_unopened(gcs):
    os.mkfifo(gcs.root / "templates" / "pipe.txt")
    (gcs.root / "state-dir").mkdir()
    gcs.write({"workflows.yaml": WORKFLOW.replace("templates/hello.yaml", "templates/pipe.txt"),
               "stack.yaml": STACK + "  state: {path: state-dir}\n"})
    result = gcs.run("validate", gcs.root)
    assert result.code == 1
    assert result.err == (
        "stack.yaml:8:17: error: state file 'state-dir' is a directory (at spec.state.path)\n"
        "  hint: spec.state.path names the state file, e.g. .gcsapply/state.json\n"
        "templates/hello.yaml:1:1: warning: template 'templates/hello.yaml' is not named by any Workflow's "
        "spec.template (at version)\n  hint: reference it from a Workflow, or delete it\n"
        "workflows.yaml:5:13: error: template 'templates/pipe.txt' is not a regular file (a FIFO, device or "
        "socket) (at spec.template)\n  hint: paths are relative to the folder of workflows.yaml\n"
        "2 errors, 1 warning\n")


def test_discovery_does_not_follow_a_linked_folder_or_file_out_of_the_stack(gcs, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    leak = f"apiVersion: gcsapply/v1\nkind: Workflow\nmetadata: {{name: {SENTINEL}}}\nspec: {{template: x.yaml}}\n"
    (elsewhere / "leak.yaml").write_text(leak)
    (gcs.root / "shared").symlink_to(elsewhere)
    (gcs.root / "more.yaml").symlink_to(elsewhere / "leak.yaml")
    for argv, result in every_output(gcs):
        assert result.code == 1, argv
        assert SENTINEL not in result.out + result.err, argv
    result = gcs.run("validate", gcs.root)
    assert result.err == (
        "more.yaml: error: file 'more.yaml' is a symbolic link that leads outside the stack directory; it is "
        f"not read\n{HINT}\n"
        "shared: error: folder 'shared' is a symbolic link that leads outside the stack directory; it is not "
        f"read\n{HINT}\n"
        "2 errors, 0 warnings\n")


def test_symbolic_links_that_stay_inside_the_stack_are_followed(gcs):
    (gcs.root / "data").mkdir()
    (gcs.root / "samples.csv").rename(gcs.root / "data" / "samples.csv")
    (gcs.root / "sheets").symlink_to("data")  # a linked folder
    (gcs.root / "pipelines").mkdir()
    (gcs.root / "templates" / "hello.yaml").rename(gcs.root / "pipelines" / "hello.tmpl")
    (gcs.root / "templates" / "hello.yaml").symlink_to("../pipelines/hello.tmpl")  # a linked file
    gcs.write({"cohort.yaml": COHORT.replace("samples: samples.csv", "samples: sheets/samples.csv"),
               "stack.yaml": STACK + "  state: {path: templates/../.gcsapply/state.json}\n"})
    result = gcs.run("validate", gcs.root)
    assert (result.code, result.err) == (0, "")
    assert result.out == "Valid: 1 stack, 1 workflow, 2 executions (1 execution set); 0 errors, 0 warnings.\n"
    result = gcs.apply()
    assert result.code == 0, result.err
    assert sorted(e["execution"]["name"].rsplit("-", 1)[0] for e in gcs.executions()) == ["cohort-na1", "cohort-na2"]
    assert (gcs.root / ".gcsapply" / "state.json").is_file()


def test_a_long_header_name_is_quoted_as_a_bounded_escaped_excerpt(gcs):
    gcs.write({"samples.csv": "sample\x1b[2J" + "h" * 10_000 + ",other\nNA1,x\n"})
    result = gcs.run("validate", gcs.root)
    assert result.code == 1
    column = "sample\\x1b[2J" + "h" * 24 + "..."  # 40 characters, the escape sequence escaped
    assert result.err == (
        "cohort.yaml:7:48: error: {{ sample.sample_id }} names no column of the sample sheet "
        "(at spec.template.inputs.sample)\n"
        f"  hint: columns of samples.csv: {column}, other\n"
        "samples.csv:1: error: key column 'sample_id' is not in the sample sheet header\n"
        f"  hint: columns: {column}, other\n"
        "2 errors, 0 warnings\n")


def test_many_columns_are_listed_ten_at_most(gcs):
    gcs.write({"samples.csv": ",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join(["x"] * 5000) + "\n"})
    result = gcs.run("validate", gcs.root)
    assert "  hint: columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 4990 more\n" in result.err


def test_a_long_cell_is_quoted_as_a_bounded_excerpt(gcs):
    key = "NA1\u202e" + "z" * 5000  # a right-to-left override would reorder what follows it
    gcs.write({"samples.csv": f"sample_id\nNA0\n{key}\n{key}\n"})
    result = gcs.run("validate", gcs.root)
    assert result.code == 1
    assert result.err == (
        "samples.csv:4: error: column 'sample_id': duplicate key 'NA1\\u202e" + "z" * 28 + "...' "
        "(first on line 3)\n"
        "  hint: keys must be unique: each row is one run\n"
        "1 error, 0 warnings\n")


def test_a_state_folder_linked_out_of_the_stack_is_refused_and_nothing_is_written_there(gcs, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (gcs.root / ".gcsapply").symlink_to(elsewhere)
    for argv in (("plan",), ("apply", "--auto-approve")):
        result = gcs.run(argv[0], gcs.root, *argv[1:])
        assert (result.code, result.out) == (1, "")
        assert result.err == (
            ".gcsapply/state.json: error: state file '.gcsapply/state.json' is a symbolic link that leads "
            f"outside the stack directory\n{HINT}\n1 error, 0 warnings\n")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("field, written", [
    ("samples", ".git/token.csv"), ("samples", ".env.csv"), ("samples", "sheets/../.git/token.csv"),
    ("samples", "innocent.csv"), ("template", ".git/hooks/t.yaml"), ("state.path", ".git/config"),
])
def test_hidden_files_of_the_stack_are_never_read_where_checkouts_keep_their_token(gcs, field, written):
    (gcs.root / ".git" / "hooks").mkdir(parents=True)
    (gcs.root / ".git" / "config").write_text(f"[http]\n\textraheader = AUTHORIZATION: basic {SENTINEL}\n")
    (gcs.root / ".git" / "hooks" / "t.yaml").write_text(OUTSIDE["secret.yaml"])
    (gcs.root / ".env.csv").write_text(f"sample_id\n{SENTINEL}\n")
    (gcs.root / ".git" / "token.csv").write_text(f"sample_id\n{SENTINEL}\n")
    (gcs.root / "innocent.csv").symlink_to(".git/config")  # a link inside the stack, into a hidden folder
    name_in_field(gcs, field, written)
    file, line, column, what = FIELDS[field]
    for argv, result in every_output(gcs):
        assert result.code == 1, argv
        assert SENTINEL not in result.out + result.err, argv
        if "--json" not in argv:
            assert (f"{file}:{line}:{column}: error: {what} '{written}' is a hidden file or in a hidden folder "
                    f"(at spec.{field})\n  hint: gcsapply reads no hidden file or folder (.git, .env, ...): they "
                    "often hold credentials; move the file to an ordinary folder of the stack\n") in result.err
