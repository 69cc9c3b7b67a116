"""Discovery (DESIGN §2): which files are read, which are templates, and nothing skipped silently."""

import os
import textwrap

import pytest

from gcsapply.errors import InputError
from gcsapply.manifest.build import load_stack
from gcsapply.manifest.discover import discover, discover_files

EXECUTION = """\
    apiVersion: gcsapply/v1
    kind: Execution
    metadata: {name: r1}
    spec: {workflow: align, inputs: {sample: S1}}
    """


def rendered(exc_info):
    """The diagnostics as text, but for the warning every Stack-less tree gets (tested apart)."""
    return [d.render() for d in exc_info.value.diagnostics if d.code != "stack-name-from-directory"]


def test_yaml_files_are_found_recursively_in_sorted_order_skipping_hidden_entries(tree):
    root = tree({
        "b.yml": EXECUTION, "a/z.yaml": EXECUTION, "a/B.YAML": EXECUTION, "notes.txt": "x",
        ".gcsapply/state.yaml": "x", ".hidden/x.yaml": "x", ".pre-commit-config.yaml": "x",
        "a/.#lock.yaml": "x",
    })
    assert [p.as_posix() for p in discover_files(root)] == [
        "a/B.YAML", "a/z.yaml", "b.yml", "templates/align.yaml", "workflows.yaml"]


def test_a_file_named_by_a_workflow_is_a_template_even_without_the_version_key(tree):
    root = tree({"templates/align.yaml": "workflow: {}\n"})
    inventory = discover(root)
    assert sorted(inventory.templates) == ["templates/align.yaml"]
    assert inventory.referenced == {"templates/align.yaml"}
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    # reported by the template validator, in the template's own file
    assert rendered(exc_info) == [
        "templates/align.yaml:1:1: error: the template has no `version`\n"
        "  hint: add `version: genecontainer_0_1` at the top",
        "templates/align.yaml:1:1: error: `workflow` defines no steps (at workflow)\n  hint: add at least one step"]


def test_an_unreferenced_template_is_a_warning_and_is_still_validated(tree):
    root = tree({"spare/old.yaml": "version: genecontainer_0_1\nworkflow:\n  a:\n    type: GCS.Job\n"
                                   "    tool: bwa:0.7.12\n    commands: [echo hi]\n",
                 "run.yaml": EXECUTION})
    loaded = load_stack(root)
    assert [d.render() for d in loaded.diagnostics if d.code != "stack-name-from-directory"] == [
        "spare/old.yaml:1:1: warning: template 'spare/old.yaml' is not named by any Workflow's "
        "spec.template (at version)\n  hint: reference it from a Workflow, or delete it"]


def test_documents_that_are_neither_manifests_nor_templates_are_errors(tree):
    root = tree({"run.yaml": EXECUTION, "docker-compose.yml": "services: {}\n",
                 "list.yaml": "- a\n- b\n", "multi.yaml": textwrap.dedent(EXECUTION).replace("r1", "r2") + "---\nfoo: 1\n"})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert [line.split("\n")[0] for line in rendered(exc_info)] == [
        "docker-compose.yml:1:1: error: this document is not a gcsapply manifest",
        "list.yaml:1:1: error: this document is not a gcsapply manifest",
        "multi.yaml:6:1: error: this document is not a gcsapply manifest",
    ]


def test_a_wrong_template_version_gets_a_hint_instead_of_being_skipped(tree):
    root = tree({"run.yaml": EXECUTION, "t.yaml": "version: genecontainer_0_2\nworkflow: {}\n"})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert rendered(exc_info) == [
        "t.yaml:1:1: error: this document is not a gcsapply manifest\n"
        "  hint: templates have 'version: genecontainer_0_1' (got 'genecontainer_0_2')"]


def test_template_paths_resolve_against_the_folder_of_the_manifest(tree):
    root = tree({"workflows.yaml": None,
                 "pipelines/wf.yaml": """\
                     apiVersion: gcsapply/v1
                     kind: Workflow
                     metadata: {name: align}
                     spec: {template: ../templates/align.yaml}
                     """,
                 "runs/r1.yaml": EXECUTION})
    loaded = load_stack(root)
    assert [d.code for d in loaded.diagnostics] == ["stack-name-from-directory"]
    assert loaded.desired.workflows["workflow/align"].template_path == root / "templates/align.yaml"


def test_a_missing_template_is_reported_at_the_workflow(tree):
    root = tree({"workflows.yaml": """\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {name: align}
        spec: {template: templates/algin.yaml}
        """, "run.yaml": EXECUTION})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert rendered(exc_info) == [
        "templates/align.yaml:1:1: warning: template 'templates/align.yaml' is not named by any "
        "Workflow's spec.template (at version)\n  hint: reference it from a Workflow, or delete it",
        "workflows.yaml:4:18: error: template 'templates/algin.yaml' does not exist (at spec.template)\n"
        "  hint: paths are relative to the folder of workflows.yaml",
    ]


def test_a_template_reference_to_a_manifest_file_is_an_error_not_a_reclassification(tree):
    root = tree({"workflows.yaml": """\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {name: align}
        spec: {template: run.yaml}
        """, "run.yaml": EXECUTION, "templates/align.yaml": None})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert rendered(exc_info) == [
        "workflows.yaml:4:18: error: spec.template names 'run.yaml', which holds gcsapply manifests "
        "(at spec.template)\n  hint: point it at a genecontainer_0_1 template file"]


def test_yaml_syntax_errors_and_empty_files_are_reported_not_skipped(tree):
    root = tree({"run.yaml": EXECUTION, "broken.yaml": "a: [1, 2\n", "empty.yaml": "# nothing\n"})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    lines = rendered(exc_info)
    assert lines[0].startswith("broken.yaml:2:1: error: invalid YAML")
    assert lines[1] == "empty.yaml: warning: file holds no YAML document\n  hint: add manifests to it, or delete it"


def test_an_empty_tree_is_an_error_unless_allowed(tmp_path):
    with pytest.raises(InputError) as exc_info:
        load_stack(tmp_path)
    assert rendered(exc_info) == [
        f"error: no manifests found under {tmp_path}\n  hint: manifests are YAML files with "
        "'apiVersion: gcsapply/v1'; an empty tree only makes sense for 'gcsapply destroy'"]
    loaded = load_stack(tmp_path, allow_empty=True)
    assert loaded.desired.workflows == {} and loaded.desired.executions == {}


def test_a_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as exc_info:
        load_stack(tmp_path / "nope")
    assert exc_info.value.diagnostics[0].code == "no-such-directory"


def test_unknown_kinds_suggest_the_right_spelling(tree):
    root = tree({"run.yaml": EXECUTION.replace("kind: Execution", "kind: execution")})
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert rendered(exc_info) == [
        "run.yaml:2:7: error: unknown kind 'execution' (at kind)\n"
        "  hint: did you mean 'Execution'? (kinds: Stack, Workflow, Execution, ExecutionSet)"]


def test_a_fifo_named_like_yaml_is_reported_instead_of_blocking_the_read(tree):
    root = tree({"run.yaml": EXECUTION})
    os.mkfifo(root / "pipe.yaml")
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert rendered(exc_info) == ["pipe.yaml: error: 'pipe.yaml' is not a regular file\n"
                                  "  hint: remove it or rename it so it does not end in .yaml/.yml"]


def test_template_and_sheet_paths_that_cannot_be_statted_are_diagnostics_not_crashes(tree):
    long_name = "a" * 300 + ".yaml"  # longer than any file name the OS allows
    root = tree({"workflows.yaml": f"""\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {{name: align}}
        spec: {{template: {long_name}}}
        ---
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {{name: loop}}
        spec: {{template: loop.yaml}}
        """, "set.yaml": """\
        apiVersion: gcsapply/v1
        kind: ExecutionSet
        metadata: {name: cohort}
        spec: {samples: loop.csv, key: id, template: {workflow: loop}}
        """})
    (root / "loop.yaml").symlink_to(root / "loop.yaml")
    (root / "loop.csv").symlink_to(root / "loop.csv")
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    lines = [line for line in rendered(exc_info) if ": error:" in line]
    assert lines == [
        "set.yaml:4:17: error: sample sheet 'loop.csv' cannot be read (Too many levels of symbolic links) "
        "(at spec.samples)\n  hint: paths are relative to the folder of set.yaml",
        f"workflows.yaml:4:18: error: template '{long_name[:77]}...' cannot be read (File name too long) "
        "(at spec.template)\n  hint: paths are relative to the folder of workflows.yaml",
        "workflows.yaml:9:18: error: template 'loop.yaml' cannot be read (Too many levels of symbolic links) "
        "(at spec.template)\n  hint: paths are relative to the folder of workflows.yaml",
    ]


def test_a_stack_directory_name_too_long_for_the_os_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as exc_info:
        load_stack(tmp_path / ("d" * 300))
    [problem] = exc_info.value.diagnostics
    assert problem.message == "stack directory cannot be read (File name too long)"
