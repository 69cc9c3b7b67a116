"""Name rules: metadata.name per kind, s(), member names, derived stack names, duplicates."""

import hashlib

import pytest

from gcsapply.errors import InputError
from gcsapply.manifest.build import load_stack
from gcsapply.manifest.names import base_name, derived_stack_name, is_valid_name, member_name, sanitise, versioned_name


def k(key):
    return "k" + hashlib.sha256(key.encode()).hexdigest()[:10]


@pytest.mark.parametrize("text, expected", [
    ("NA12878", "na12878"), ("HG002 (son)", "hg002-son"), ("--a__b--", "a-b"), ("Ä-1", "1"),
    ("", ""), ("___", ""), ("s.1/2", "s-1-2"),
])
def test_s_lowercases_collapses_runs_outside_a_z0_9_to_dashes_and_trims(text, expected):
    assert sanitise(text) == expected


@pytest.mark.parametrize("key, expected", [
    ("NA12878", "cohort-na12878"),
    ("HG002 (son)", "cohort-hg002-son"),
    ("12345", "cohort-" + k("12345")),        # starts with a digit
    ("###", "cohort-" + k("###")),            # empty after s()
    ("x" * 47, "cohort-" + "x" * 47),         # exactly 54 characters
    ("x" * 48, "cohort-" + k("x" * 48)),      # would be 55
    ("样本一", "cohort-" + k("样本一")),
])
def test_member_names_fall_back_to_a_hash_of_the_key(key, expected):
    assert member_name("cohort", key) == expected
    assert is_valid_name(expected, 54)


def test_a_set_name_of_43_characters_leaves_no_room_for_a_hashed_member_name():
    assert not is_valid_name(member_name("s" * 43, "12"), 54)
    assert is_valid_name(member_name("s" * 42, "12"), 54)


@pytest.mark.parametrize("directory, expected", [
    ("genomics-prod", "genomics-prod"), ("My Stack", "my-stack"), ("2026", k("2026")),
    ("...", k("...")), ("x" * 64, k("x" * 64)),
])
def test_a_tree_without_a_stack_manifest_is_named_after_its_directory(directory, expected):
    assert derived_stack_name(directory) == expected


def test_the_derived_stack_name_is_used_when_there_is_no_stack_manifest(tree, tmp_path):
    root = tree({"run.yaml": """\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {name: r1}
        spec: {workflow: align, inputs: {sample: S1}}
        """})
    stack = load_stack(root).desired.stack
    assert (stack.name, stack.endpoint, stack.source, stack.state_path) == (
        "stack", "embedded", None, ".gcsapply/state.json")


@pytest.mark.parametrize("kind, name, ok", [
    ("Workflow", "w" * 31, True), ("Workflow", "w" * 32, False),
    ("Execution", "e" * 54, True), ("Execution", "e" * 55, False),
    ("Stack", "s" * 63, True), ("Stack", "s" * 64, False),
    ("Execution", "ok-name-1", True), ("Execution", "-bad", False), ("Execution", "bad-", False),
    ("Execution", "1bad", False), ("Execution", "Bad", False), ("Execution", "bad_name", False),
])
def test_metadata_names_follow_the_pattern_and_the_length_of_their_kind(tree, kind, name, ok):
    spec = {"Workflow": "{template: templates/align.yaml}", "Stack": "{}",
            "Execution": "{workflow: align, inputs: {sample: S1}}"}[kind]
    root = tree({"workflows.yaml": None, "m.yaml": f"""\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {{name: align}}
        spec: {{template: templates/align.yaml}}
        ---
        apiVersion: gcsapply/v1
        kind: {kind}
        metadata: {{name: "{name}"}}
        spec: {spec}
        """})
    if ok:
        load_stack(root)
        return
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert [d.path for d in exc_info.value.diagnostics if d.is_error] == ["metadata.name"]


def test_the_same_address_twice_is_an_error_naming_the_first(tree):
    run = """\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {name: r1}
        spec: {workflow: align, inputs: {sample: S1}}
        """
    stack = "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: s}\nspec: {}\n"
    root = tree({"a.yaml": run, "b.yaml": run, "s1.yaml": stack, "s2.yaml": stack})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert [d.render() for d in exc_info.value.diagnostics] == [
        "b.yaml:3:18: error: execution/r1 is declared twice (first in a.yaml:3) (at metadata.name)\n"
        "  hint: rename or remove one of them",
        "s2.yaml:3:18: error: more than one Stack (the first is in s1.yaml:3) (at metadata.name)\n"
        "  hint: a tree holds at most one Stack",
    ]


def test_an_execution_set_member_colliding_with_an_execution_is_an_error_at_the_row(tree):
    root = tree({
        "run.yaml": """\
            apiVersion: gcsapply/v1
            kind: Execution
            metadata: {name: c-s1}
            spec: {workflow: align, inputs: {sample: S1}}
            """,
        "set.yaml": """\
            apiVersion: gcsapply/v1
            kind: ExecutionSet
            metadata: {name: c}
            spec:
              samples: [{id: S0}, {id: S1}]
              key: id
              template: {workflow: align, inputs: {sample: "{{ sample.id }}"}}
            """})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert [d.render() for d in exc_info.value.diagnostics if d.is_error] == [
        "set.yaml:5:23: error: member execution/c-s1 of executionset/c collides with the Execution "
        "declared in run.yaml:3 (at spec.samples[1])\n  hint: rename the Execution or the set"]


@pytest.mark.parametrize("gcs_name, expected", [
    ("na12878-3f2a9c1d", "na12878"), ("cohort-na12878-0badc0de", "cohort-na12878"),
    ("na12878", None), ("na12878-3F2A9C1D", None), ("Na12878-3f2a9c1d", None), ("", None),
])
def test_base_name_reads_the_metadata_name_back_from_a_versioned_gcs_name(gcs_name, expected):
    assert base_name(gcs_name) == expected
    if expected is not None:
        assert versioned_name(expected, gcs_name[-8:] + "ffff") == gcs_name
