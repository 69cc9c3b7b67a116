"""Where values were written: the referenced fields of each run, the Stack's endpoint, and the
default state path and work folder beside the Stack manifest (DESIGN §2: relative paths
resolve against the directory of the file that holds them)."""

import os
from dataclasses import replace

import pytest

from gcsapply.errors import InputError
from gcsapply.manifest.build import load_stack
from gcsapply.manifest.model import Source
from gcsapply.manifest.paths import HIDDEN, name_path

STACK = """\
    apiVersion: gcsapply/v1
    kind: Stack
    metadata: {name: lab}
    spec:
      endpoint: region
      defaults:
        execution: {environment: default-cci}
    """
COHORT = """\
    apiVersion: gcsapply/v1
    kind: ExecutionSet
    metadata: {name: cohort}
    spec:
      samples: [{id: A, env: pool-a}, {id: B, env: pool-b}]
      key: id
      template:
        workflow: align
        inputs: {sample: "{{ sample.id }}"}
    """
BY_ID = """\
    apiVersion: gcsapply/v1
    kind: Execution
    metadata: {name: byid}
    spec:
      environment: gpu
      workflow: {id: 0e7196ae-fdbf-84e4-d751-28554dcd7572}
      inputs: {sample: S}
    """


def test_a_runs_environment_remembers_the_stack_defaults_line_that_wrote_it(tree):
    desired = load_stack(tree({"stack.yaml": STACK, "cohort.yaml": COHORT})).desired
    member = desired.executions["execution/cohort-a"]
    assert member.source == Source("cohort.yaml", 5, 13)  # the row, inline
    assert member.source_of("environment") == Source(
        "stack.yaml", 7, 30, "spec.defaults.execution.environment")
    assert member.source_of("workflow") == member.source  # a Workflow of the stack: no id


def test_an_execution_remembers_its_own_environment_and_workflow_id_keys(tree):
    spec = load_stack(tree({"stack.yaml": STACK, "byid.yaml": BY_ID})).desired.executions["execution/byid"]
    assert spec.positions == {"environment": Source("byid.yaml", 5, 16, "spec.environment"),
                              "workflow": Source("byid.yaml", 6, 18, "spec.workflow.id")}


def test_a_value_written_as_a_placeholder_is_remembered_at_its_row(tree):
    cohort = COHORT.rstrip(" ") + '        environment: "{{ sample.env }}"\n'
    desired = load_stack(tree({"stack.yaml": STACK, "cohort.yaml": cohort})).desired
    first, second = desired.executions["execution/cohort-a"], desired.executions["execution/cohort-b"]
    assert (first.environment, second.environment) == ("pool-a", "pool-b")
    assert first.source_of("environment") == Source("cohort.yaml", 5, 13, "spec.template.environment")
    assert second.source_of("environment") == Source("cohort.yaml", 5, 35, "spec.template.environment")


def test_positions_do_not_make_two_specs_differ(tree):
    one = load_stack(tree({"stack.yaml": STACK, "byid.yaml": BY_ID})).desired.executions["execution/byid"]
    other = replace(one, positions={"environment": Source("elsewhere.yaml", 9, 9)})
    assert other == one and other.source_of("environment") == Source("elsewhere.yaml", 9, 9)


def test_the_stack_remembers_where_its_endpoint_is_written(tree):
    stack = load_stack(tree({"stack.yaml": STACK})).desired.stack
    assert stack.endpoint_source == Source("stack.yaml", 5, 13, "spec.endpoint")
    assert str(stack.endpoint_source) == "stack.yaml:5:13"
    bare = load_stack(tree({"stack.yaml": STACK.replace("      endpoint: region\n", "")})).desired.stack
    assert bare.endpoint_source is None


def test_the_default_state_and_work_folder_are_beside_the_stack_manifest(tree):
    stack = load_stack(tree({"config/stack.yaml": STACK})).desired.stack
    assert (stack.work_dir, stack.state_path) == ("config/.gcsapply", "config/.gcsapply/state.json")


def test_a_state_path_in_the_stack_folders_gcsapply_is_allowed(tree):
    written = STACK.replace("endpoint: region", "state: {path: .gcsapply/lab.json}")
    stack = load_stack(tree({"config/stack.yaml": written})).desired.stack
    assert stack.state_path == "config/.gcsapply/lab.json"


def test_without_a_stack_manifest_the_state_is_in_the_directory_given(tree):
    stack = load_stack(tree({})).desired.stack
    assert (stack.work_dir, stack.state_path) == (".gcsapply", ".gcsapply/state.json")


def test_a_gcsapply_folder_linked_to_another_hidden_folder_is_refused(tree):
    root = tree({"config/stack.yaml": STACK})
    (root / ".git").mkdir()
    os.symlink(root / ".git", root / "config" / ".gcsapply")
    with pytest.raises(InputError) as caught:
        load_stack(root)
    assert [d.render() for d in caught.value.diagnostics] == [
        "config/.gcsapply/state.json: error: state file 'config/.gcsapply/state.json' is a "
        "hidden file or in a hidden folder\n"
        "  hint: gcsapply reads no hidden file or folder (.git, .env, ...): they often hold "
        "credentials; move the file to an ordinary folder of the stack"]


def test_a_stack_folder_reached_through_a_link_may_hold_the_state_folder(tmp_path):
    root = tmp_path / "stack"
    (root / "real").mkdir(parents=True)
    os.symlink(root / "real", root / "config")
    named = name_path(root, "config/stack.yaml", ".gcsapply/state.json", must_exist=False,
                      hidden_ok=(".gcsapply", "config/.gcsapply"))
    assert (named.shown, named.problem) == ("config/.gcsapply/state.json", None)
    other = name_path(root, "config/stack.yaml", "../.git/state.json", must_exist=False,
                      hidden_ok=(".gcsapply", "config/.gcsapply"))
    assert other.code == HIDDEN
