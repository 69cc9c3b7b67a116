"""Confinement of the paths manifests name (manifest/paths.py, DESIGN §7b) and the excerpts
diagnostics quote (diagnostics.excerpt): what is refused, what is allowed, and how values look."""

import os
from pathlib import Path

import pytest

from gcsapply.diagnostics import Diagnostic, excerpt, excerpt_list, quote
from gcsapply.errors import InputError
from gcsapply.manifest.build import load_stack
from gcsapply.manifest.discover import walk_yaml_files
from gcsapply.manifest.paths import HIDDEN, NOT_REGULAR, OUTSIDE, name_path

OUT_BY_LINK = "is a symbolic link that leads outside the stack directory"


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "stack"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.csv").write_text("id\n1\n")
    (tmp_path / "secret.csv").write_text("id\n1\n")
    return root


@pytest.mark.parametrize("written, problem", [
    ("../secret.csv", "leads outside the stack directory"),
    ("sub/../../secret.csv", "leads outside the stack directory"),
    ("..", "leads outside the stack directory"),
    ("/etc/passwd", "is an absolute path; it must be relative and stay inside the stack directory"),
    ("//etc/passwd", "is an absolute path; it must be relative and stay inside the stack directory"),
])
def test_paths_that_climb_out_or_start_at_the_root_are_refused_as_written(root, written, problem):
    named = name_path(root, "m.yaml", written)
    assert (named.problem, named.code, named.written) == (problem, OUTSIDE, written)


def test_a_link_a_chain_of_links_and_a_linked_folder_leading_out_are_refused(root, tmp_path):
    (root / "direct.csv").symlink_to(tmp_path / "secret.csv")
    (root / "outer.csv").symlink_to(tmp_path / "secret.csv")
    (root / "chain.csv").symlink_to("sub/hop.csv")
    (root / "sub" / "hop.csv").symlink_to("../outer.csv")  # inside, inside, then out
    (root / "away").symlink_to(tmp_path)
    (root / "dangling.csv").symlink_to(tmp_path / "nothing-there.csv")
    for written in ("direct.csv", "chain.csv", "away/secret.csv", "dangling.csv"):
        named = name_path(root, "m.yaml", written)
        assert (named.problem, named.code) == (OUT_BY_LINK, OUTSIDE), written


def test_links_and_dot_dots_that_stay_inside_are_fine(root):
    (root / "link.csv").symlink_to("sub/a.csv")
    (root / "folder").symlink_to("sub")
    for document, written in (("m.yaml", "link.csv"), ("m.yaml", "folder/a.csv"), ("sub/m.yaml", "a.csv"),
                              ("sub/m.yaml", "../link.csv"), ("m.yaml", "sub/../sub/a.csv")):
        named = name_path(root, document, written)
        assert named.problem is None, (document, written)
    assert name_path(root, "m.yaml", "folder/a.csv").shown == "folder/a.csv"


def test_a_stack_reached_through_a_link_is_measured_after_resolving_it(root, tmp_path):
    (tmp_path / "alias").symlink_to(root)
    assert name_path(tmp_path / "alias", "m.yaml", "sub/a.csv").problem is None
    assert name_path(tmp_path / "alias", "m.yaml", "../secret.csv").code == OUTSIDE


def test_special_files_are_refused_from_stat_alone(root):
    os.mkfifo(root / "pipe.csv")
    assert name_path(root, "m.yaml", "pipe.csv").problem == NOT_REGULAR
    assert name_path(root, "m.yaml", "sub").problem == "is a directory"
    assert name_path(root, "m.yaml", "missing.csv").problem == "does not exist"
    assert name_path(root, "m.yaml", "missing.csv", must_exist=False).problem is None
    assert name_path(root, "m.yaml", "a\0b.csv").problem == "does not exist"


def test_hidden_files_and_folders_are_refused_before_and_after_links_but_the_state_folder(root):
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[http]\n")
    (root / "plain.csv").symlink_to(".git/config")
    for written in (".git/config", "sub/../.git/config", "plain.csv", ".env", "sub/.hidden.csv"):
        named = name_path(root, "m.yaml", written)
        assert (named.problem, named.code) == ("is a hidden file or in a hidden folder", HIDDEN), written
    assert name_path(root, "m.yaml", ".gcsapply/state.json", must_exist=False, hidden_ok=".gcsapply").problem is None
    assert name_path(root, "m.yaml", ".gcsapply/state.json", must_exist=False).code == HIDDEN
    assert name_path(root, "m.yaml", ".git/x.json", must_exist=False, hidden_ok=".gcsapply").code == HIDDEN


def test_a_stack_under_proc_is_refused_even_though_its_files_are_inside_it():
    named = name_path(Path("/proc/self"), "m.yaml", "environ")
    assert (named.problem, named.code) == ("is a special file", OUTSIDE)


def test_the_walk_reports_links_out_and_follows_links_in(root, tmp_path):
    (tmp_path / "x.yaml").write_text("kind: Workflow\n")
    (root / "sub" / "m.yaml").write_text("kind: Workflow\n")
    (root / "out.yaml").symlink_to(tmp_path / "x.yaml")
    (root / "outdir").symlink_to(tmp_path)
    (root / "in.yaml").symlink_to("sub/m.yaml")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[http]\n")
    (root / "git.yaml").symlink_to(".git/config")
    files, problems = walk_yaml_files(root)
    assert [f.as_posix() for f in files] == ["in.yaml", "sub/m.yaml"]
    assert [(d.code, d.file) for d in problems] == [(OUTSIDE, "outdir"), (HIDDEN, "git.yaml"), (OUTSIDE, "out.yaml")]
    assert problems[1].message == "file 'git.yaml' is a symbolic link to a hidden file or folder; it is not read"


def test_a_stack_state_path_outside_is_an_error_at_the_stack_field(tree):
    root = tree({"stack.yaml": "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: s}\n"
                               "spec: {state: {path: ../../state.json}}\n"})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert [d.render() for d in exc_info.value.diagnostics] == [
        "stack.yaml:4:22: error: state file '../../state.json' leads outside the stack directory "
        "(at spec.state.path)\n  hint: paths in manifests must stay inside the stack directory, symbolic "
        "links included: copy the file into the stack"]


@pytest.mark.parametrize("value, shown", [
    ("sample_id", "sample_id"),
    ("a" * 40, "a" * 40),
    ("a" * 41, "a" * 37 + "..."),
    ("tab\there\nnew", "tab\\there\\nnew"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("\u202eevil", "\\u202eevil"),
    ("\x00" * 20, "\\x00" * 9 + "..."),
    ("样本", "样本"),
    (12, "12"),
])
def test_excerpts_escape_what_is_not_printable_and_stop_at_40_characters(value, shown):
    assert excerpt(value) == shown
    assert len(excerpt(value)) <= 40
    assert quote(value) == f"'{shown}'"


def test_a_list_of_excerpts_stops_after_ten():
    assert excerpt_list([f"c{i}" for i in range(3)]) == "c0, c1, c2"
    assert excerpt_list([f"c{i}" for i in range(12)]) == "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 2 more"


def test_every_diagnostic_escapes_its_fields_and_bounds_its_message():
    diagnostic = Diagnostic("error", "x", "bad\x1b[2J" + "m" * 5000, "f\nile.yaml", 1, None, "a\tb", "h\x07")
    assert diagnostic.message.startswith("bad\\x1b[2Jmmm") and diagnostic.message.endswith("...")
    assert len(diagnostic.message) == 1000
    assert (diagnostic.file, diagnostic.path, diagnostic.hint) == ("f\\nile.yaml", "a\\tb", "h\\x07")
