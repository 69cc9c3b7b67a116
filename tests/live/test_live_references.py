"""Environment, tool and workflow-id references checked against what GCS lists."""

from __future__ import annotations

from planbuild import desired, execution, workflow

from gcsapply.live.fetch import check_references
from gcsapply.live.model import LiveState
from gcsapply.manifest.model import Source
from gcsapply.template import parse_template

LIVE = LiveState(environments=("cromwell-env", "default-cce", "default-cci"),
                 tools=("bwa:0.7.12", "samtools:1.9"))
TEMPLATE = """version: genecontainer_0_1
workflow:
  align:
    tool: bwa:0.7.12
    commands: ['echo a']
  sort:
    tool: samtool:1.9
    commands: ['echo b']
"""


def test_an_unknown_environment_is_reported_once_with_its_users_and_a_suggestion():
    runs = [execution(f"r{i}", inputs={"i": i}, environment="default-ccl",
                      source=Source("samples.csv", i + 2)) for i in range(5)]
    (problem,) = check_references(desired([workflow()], runs), LIVE, {})
    assert (problem.code, problem.file, problem.line) == ("unknown-environment", "samples.csv", 2)
    assert problem.message == ("environment 'default-ccl' does not exist (used by "
                               "execution/r0, execution/r1, execution/r2 and 2 more)")
    assert problem.hint == ("did you mean 'default-cci'? existing environments: cromwell-env, "
                            "default-cce, default-cci")


def test_an_unknown_tool_is_reported_in_the_templates_own_file_and_line():
    template = parse_template(TEMPLATE, "templates/germline.yaml")
    (problem,) = check_references(desired([workflow()]), LIVE, {"workflow/germline": template})
    assert (problem.code, problem.file, problem.line) == ("unknown-tool",
                                                          "templates/germline.yaml", 7)
    assert problem.hint.startswith("did you mean 'samtools:1.9'?")


def test_a_workflow_id_that_does_not_exist_is_reported():
    run = execution(workflow="id:0e7196ae-fdbf-84e4-d751-28554dcd7572")
    (problem,) = check_references(desired([], [run]), LIVE, {})
    assert problem.code == "unknown-workflow-id"


def test_an_unknown_environment_is_reported_once_per_place_that_writes_it_at_that_key():
    defaults = Source("stack.yaml", 7, 30, "spec.defaults.execution.environment")
    members = [execution(f"cohort-{i}", inputs={"i": i}, environment="gpu",
                         source=Source("samples.csv", i + 2), positions={"environment": defaults})
               for i in range(4)]
    own = execution("solo", inputs={"i": 9}, environment="gpu", source=Source("solo.yaml", 1, 1),
                    positions={"environment": Source("solo.yaml", 6, 16, "spec.environment")})
    problems = check_references(desired([workflow()], [*members, own]), LIVE, {})
    assert [(p.file, p.line, p.column, p.path, p.message) for p in problems] == [
        ("solo.yaml", 6, 16, "spec.environment",
         "environment 'gpu' does not exist (used by execution/solo)"),
        ("stack.yaml", 7, 30, "spec.defaults.execution.environment",
         "environment 'gpu' does not exist (used by execution/cohort-0, execution/cohort-1, "
         "execution/cohort-2 and 1 more)")]


def test_an_unknown_workflow_id_is_reported_at_its_key_naming_the_runs_that_use_it():
    at = Source("cohort.yaml", 9, 17, "spec.template.workflow.id")
    runs = [execution(f"m{i}", workflow="id:0e7196ae-fdbf-84e4-d751-28554dcd7572", inputs={"i": i},
                      source=Source("samples.csv", i + 2), positions={"workflow": at})
            for i in range(2)]
    (problem,) = check_references(desired([], runs), LIVE, {})
    assert (problem.code, problem.file, problem.line, problem.column, problem.path) == (
        "unknown-workflow-id", "cohort.yaml", 9, 17, "spec.template.workflow.id")
    assert problem.message == ("no workflow with id 0e7196ae-fdbf-84e4-d751-28554dcd7572 in the "
                               "project (used by execution/m0, execution/m1)")
