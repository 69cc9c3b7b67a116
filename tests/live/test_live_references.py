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
