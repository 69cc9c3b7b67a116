"""load_stack: the desired model, Stack defaults, workflow references and input checks."""

from pathlib import Path

import pytest

from gcsapply.errors import InputError
from gcsapply.manifest.build import LoadedStack, load_stack
from gcsapply.manifest.merge import deep_merge
from gcsapply.manifest.model import RunPolicy, run_key

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"


def run_manifest(spec: str, name: str = "r1") -> str:
    return f"""\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {{name: {name}}}
        spec:
{spec}"""


def errors(root):
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    assert exc_info.value.message.endswith("in manifests")
    return [d.render() for d in exc_info.value.diagnostics if d.code != "stack-name-from-directory"]


def test_the_example_stack_loads_into_the_desired_model():
    loaded = load_stack(EXAMPLES)
    assert isinstance(loaded, LoadedStack) and loaded.diagnostics == []
    desired = loaded.desired
    assert desired.stack.name == "genomics-demo" and desired.stack.endpoint == "embedded"
    assert list(desired.workflows) == ["workflow/germline", "workflow/qc"]
    assert list(loaded.templates) == ["workflow/germline", "workflow/qc"]
    germline = desired.workflows["workflow/germline"]
    assert germline.template_bytes == (EXAMPLES / "templates/germline.yaml").read_bytes()
    assert germline.gcs_name.startswith("germline-") and len(germline.gcs_name) == 17
    assert list(desired.executions) == ["execution/cohort-2026-11-hg002", "execution/cohort-2026-11-hg003",
                                        "execution/cohort-2026-11-hg004", "execution/na12878"]
    assert desired.sets == {"executionset/cohort-2026-11": (
        "execution/cohort-2026-11-hg002", "execution/cohort-2026-11-hg003", "execution/cohort-2026-11-hg004")}
    run = desired.executions["execution/na12878"]
    assert run.inputs == {"sample": "NA12878", "regions": ["chr20", "chr21", "chr22"]}
    assert run.run_policy == RunPolicy(mode="untilSucceeded", max_retries=2, rerun_token="")
    assert (run.environment, run.namespace, run.sfs_pvc_name, run.priority) == (
        "default-cci", "gene", "gene-sfs-01", 10)
    assert run.notification == {"events": ["exec_failed"], "email": ["ops@example.org"]}
    assert run.key == run_key("germline", run.inputs, "")


def test_deep_merge_merges_mappings_recursively_and_replaces_lists_and_scalars():
    base = {"labels": {"team": "wgs", "cost": "a"}, "notification": {"events": ["exec_failed"], "email": ["a@x.org"]},
            "priority": 1, "inputs": {"regions": ["chr1"]}}
    override = {"labels": {"cost": "b"}, "notification": {"events": ["exec_succeeded"]}, "priority": 2,
                "inputs": {"regions": ["chr2", "chr3"]}}
    assert deep_merge(base, override) == {
        "labels": {"team": "wgs", "cost": "b"},
        "notification": {"events": ["exec_succeeded"], "email": ["a@x.org"]},
        "priority": 2, "inputs": {"regions": ["chr2", "chr3"]}}
    assert base["labels"] == {"team": "wgs", "cost": "a"}  # inputs untouched


def test_stack_defaults_are_merged_under_every_execution_and_problems_point_at_the_defaults(tree):
    stack = """\
        apiVersion: gcsapply/v1
        kind: Stack
        metadata: {name: lab}
        spec:
          defaults:
            execution:
              inputs: {depht: 3}
              labels: {team: wgs}
        """
    root = tree({"stack.yaml": stack, "r.yaml": run_manifest("          workflow: align\n"
                                                             "          inputs: {sample: S1}\n")})
    assert errors(root) == [
        "stack.yaml:7:16: error: input 'depht' is not declared by template 'templates/align.yaml' "
        "(at spec.defaults.execution.inputs.depht)\n"
        "  hint: did you mean 'depth'? (declared inputs: depth, paired, regions, sample)"]


def test_inputs_are_converted_to_declared_types_with_integral_numbers_as_ints(tree):
    root = tree({"r.yaml": run_manifest("          workflow: align\n"
                                        "          inputs: {sample: S1, depth: 30.0, paired: 'false', regions: [chr1, 2]}\n")})
    run = load_stack(root).desired.executions["execution/r1"]
    assert run.inputs == {"sample": "S1", "depth": 30, "paired": False, "regions": ["chr1", 2]}
    assert isinstance(run.inputs["depth"], int)


def test_wrong_input_types_unknown_and_missing_inputs_are_reported_at_their_lines(tree):
    root = tree({"r.yaml": run_manifest("          workflow: align\n"
                                        "          inputs:\n"
                                        "            depth: thirty\n"
                                        "            paired: 1\n"
                                        "            sample_id: S1\n")})
    assert errors(root) == [
        "r.yaml:6:3: error: input 'sample' (string) has no default in 'templates/align.yaml' and no value "
        "here (at spec.inputs)\n  hint: add 'sample: <value>' under inputs",
        "r.yaml:7:12: error: input 'depth' is declared as number in 'templates/align.yaml': not a number: "
        "'thirty' (at spec.inputs.depth)\n  hint: write a number, e.g. 30 (got string 'thirty')",
        "r.yaml:8:13: error: input 'paired' is declared as bool in 'templates/align.yaml': expected a bool, "
        "got number 1 (at spec.inputs.paired)\n  hint: write true or false",
        "r.yaml:9:5: error: input 'sample_id' is not declared by template 'templates/align.yaml' "
        "(at spec.inputs.sample_id)\n  hint: did you mean 'sample'? (declared inputs: depth, paired, regions, sample)",
    ]


def test_an_execution_must_name_a_workflow_of_the_stack_or_give_an_id(tree):
    root = tree({
        "a.yaml": run_manifest("          workflow: algin\n          inputs: {sample: S1}\n", "a"),
        "b.yaml": run_manifest("          inputs: {sample: S1}\n", "b"),
        "c.yaml": run_manifest("          workflow: {id: 0e7196ae-fdbf-84e4-d751-28554dcd7572}\n"
                               "          inputs: {anything: 1.0}\n", "c"),
    })
    assert errors(root) == [
        "a.yaml:5:13: error: no Workflow named 'algin' in this stack (at spec.workflow)\n"
        "  hint: did you mean 'align'? (Workflows in this stack: align)",
        "b.yaml:4:1: error: missing required key 'workflow' (at spec)\n"
        "  hint: name a Workflow of this stack, or give {id: <uuid>}",
    ]


def test_a_workflow_by_id_keeps_its_inputs_unchecked_for_plan_to_check(tree):
    root = tree({"c.yaml": run_manifest("          workflow: {id: 0e7196ae-fdbf-84e4-d751-28554dcd7572}\n"
                                        "          inputs: {anything: 1.0}\n", "c")})
    run = load_stack(root).desired.executions["execution/c"]
    assert (run.workflow, run.inputs) == ("id:0e7196ae-fdbf-84e4-d751-28554dcd7572", {"anything": 1})


def test_placeholders_in_a_plain_execution_are_an_error(tree):
    root = tree({"r.yaml": run_manifest("          workflow: align\n"
                                        "          inputs: {sample: '{{ sample.id }}'}\n")})
    assert errors(root) == [
        "r.yaml:6:20: error: {{ ... }} placeholders only work in an ExecutionSet (at spec.inputs.sample)\n"
        "  hint: write the value itself, or use an ExecutionSet over a sample sheet"]


def test_template_problems_are_reported_in_the_template_file(tree):
    root = tree({"templates/align.yaml": "version: genecontainer_0_1\nworkflow:\n  Align:\n    type: GCS.Job\n"
                                         "    tool: bwa:0.7.12\n    commands: [echo]\n",
                 "r.yaml": run_manifest("          workflow: align\n")})
    assert [line.split(":")[0] for line in errors(root)] == ["templates/align.yaml"]


def test_stack_settings_are_read_and_state_path_resolves_against_the_stack_file(tree):
    root = tree({"config/stack.yaml": """\
        apiVersion: gcsapply/v1
        kind: Stack
        metadata: {name: lab}
        spec:
          endpoint: region
          region: cn-east-3
          projectId: abc
          state: {path: ../.gcsapply/lab.json}
          parallelism: 4
          rateLimit: {readsPerMinute: 60, writesPerMinute: 30}
          pageSize: 50
          limits: {maxLaunchesPerApply: 3}
        """, "r.yaml": run_manifest("          workflow: align\n          inputs: {sample: S}\n")})
    stack = load_stack(root).desired.stack
    assert (stack.name, stack.endpoint, stack.region, stack.project_id, stack.state_path, stack.parallelism,
            stack.reads_per_minute, stack.writes_per_minute, stack.page_size, stack.max_launches_per_apply,
            stack.max_deletes_per_apply, str(stack.source)) == (
        "lab", "region", "cn-east-3", "abc", ".gcsapply/lab.json", 4, 60, 30, 50, 3, 50, "config/stack.yaml:1:1")


def test_the_model_is_the_same_whatever_the_file_layout(tree, tmp_path):
    one = tree({"r.yaml": run_manifest("          workflow: align\n          inputs: {sample: S, depth: 4}\n")})
    first = load_stack(one).desired.executions["execution/r1"]
    assert first.gcs_name == f"r1-{run_key('align', {'sample': 'S', 'depth': 4})[:8]}"
    assert first.gcs_labels("stack") == {"gcsapply-stack": "stack", "gcsapply-key": f"v1-{first.key[:40]}"}
