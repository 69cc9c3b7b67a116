"""``gcsapply validate`` through the real CLI entry point."""

import json
import os
import shutil
import textwrap
from pathlib import Path

from jsonschema import Draft202012Validator

from gcsapply import cli
from gcsapply.schemas import load_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"

# Ten different mistakes over manifests, a template, a sample sheet and a stray file.
TEN_MISTAKES = {
    "stack.yaml": """\
        apiVersion: gcsapply/v1
        kind: Stack
        metadata: {name: lab}
        spec:
          endpiont: embedded
          parallelism: 100
        """,
    "workflows.yaml": """\
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {name: Germline}
        spec: {template: templates/germline.yaml}
        ---
        apiVersion: gcsapply/v1
        kind: Workflow
        metadata: {name: qc}
        spec: {template: templates/qc.yaml}
        """,
    "templates/germline.yaml": """\
        version: genecontainer_0_1
        inputs:
          sample: {type: string, default: NA12878}
        workflow:
          align:
            type: GCS.Job
            tool: bwa:0.7.12
            commands:
              - bwa mem /ref/hg38.fa /obs/${sampel}.fq > /sfs/${sample}.sam
        """,
    "templates/qc.yaml": """\
        version: genecontainer_0_1
        inputs:
          sample: {type: string, default: NA12878}
          threads: {type: number, default: 2}
        workflow:
          fastqc:
            type: GCS.Job
            tool: fastqc:0.11.9
            commands:
              - fastqc --threads ${threads} /obs/${sample}.fq
        """,
    "run.yaml": """\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {name: run-1}
        spec:
          workflow: qc
          inputs: {sampel: NA1}
          target: ecs
        """,
    "cohort.yaml": """\
        apiVersion: gcsapply/v1
        kind: ExecutionSet
        metadata: {name: cohort}
        spec:
          samples: samples.csv
          key: sample_id
          template:
            workflow: qc
            inputs:
              sample: "{{ sample.sample_id }}"
              threads: "{{ sample.threads }}"
            description: "family {{ sample.famly }}"
        """,
    "samples.csv": "sample_id,threads\nNA1,2\nNA2,two\nNA1,4\n",
    "notes.yaml": "title: my notes\n",
}

TEN_MISTAKES_TEXT = """\
cohort.yaml:12:18: error: {{ sample.famly }} names no column of the sample sheet (at spec.template.description)
  hint: columns of samples.csv: sample_id, threads
notes.yaml:1:1: error: this document is not a gcsapply manifest
  hint: every document must be a manifest (apiVersion: gcsapply/v1, kind, metadata.name, spec) or a genecontainer_0_1 template named by a Workflow's spec.template
run.yaml:6:12: error: input 'sampel' is not declared by template 'templates/qc.yaml' (at spec.inputs.sampel)
  hint: did you mean 'sample'? (declared inputs: sample, threads)
run.yaml:7:11: error: 'target' must be one of: cci, cce (got string 'ecs') (at spec.target)
  hint: use one of the listed values
samples.csv:3: error: column 'threads': not a number: 'two' (input 'threads' is declared as number)
  hint: fix the value, or the type of 'threads' in templates/qc.yaml
samples.csv:4: error: column 'sample_id': duplicate key 'NA1' (first on line 2)
  hint: keys must be unique: each row is one run
stack.yaml:5:3: error: unknown key 'endpiont' (at spec.endpiont)
  hint: did you mean 'endpoint'?
stack.yaml:6:16: error: 'parallelism' must be between 1 and 64 (got integer 100) (at spec.parallelism)
  hint: use a number from 1 to 64
templates/germline.yaml:9:9: error: undefined variable ${sampel} (at workflow.align.commands[0])
  hint: did you mean ${sample}?
workflows.yaml:3:18: error: 'name' must be lowercase letters, digits and '-', start with a letter, end with a letter or digit, at most 31 characters (got string 'Germline') (at metadata.name)
  hint: each template version is the GCS workflow <name>-<digest[:8]>, which must fit in 40 characters
10 errors, 0 warnings
"""


def write_tree(root: Path, files: dict) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_the_example_stack_is_valid(capsys):
    assert cli.main(["validate", str(EXAMPLES)]) == 0
    out, err = capsys.readouterr()
    assert out == "Valid: 1 stack, 2 workflows, 4 executions (1 execution set); 0 errors, 0 warnings.\n"
    assert err == ""


def test_the_example_stack_as_json_is_a_valid_empty_diagnostics_document(capsys):
    assert cli.main(["validate", str(EXAMPLES), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"format_version": "1.0", "valid": True, "errors": 0, "warnings": 0,
                               "diagnostics": []}
    assert err == ""


def test_ten_mistakes_in_several_files_are_all_reported_at_their_lines(tmp_path, capsys):
    root = write_tree(tmp_path / "stack", TEN_MISTAKES)
    assert cli.main(["validate", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == TEN_MISTAKES_TEXT
    assert "Traceback" not in err


def test_ten_mistakes_as_json_match_the_diagnostics_schema(tmp_path, capsys):
    root = write_tree(tmp_path / "stack", TEN_MISTAKES)
    assert cli.main(["validate", str(root), "--json"]) == 1
    out, err = capsys.readouterr()
    document = json.loads(out)
    Draft202012Validator(load_schema("diagnostics")).validate(document)
    assert (document["valid"], document["errors"], document["warnings"]) == (False, 10, 0)
    assert [(d["file"], d["line"], d["code"]) for d in document["diagnostics"]] == [
        ("cohort.yaml", 12, "unknown-column"), ("notes.yaml", 1, "not-a-manifest"),
        ("run.yaml", 6, "unknown-input"), ("run.yaml", 7, "invalid-value"),
        ("samples.csv", 3, "sample-value"), ("samples.csv", 4, "duplicate-sample-key"),
        ("stack.yaml", 5, "unknown-key"), ("stack.yaml", 6, "out-of-range"),
        ("templates/germline.yaml", 9, "undefined-variable"), ("workflows.yaml", 3, "invalid-value")]
    assert err == ""


def test_warnings_are_printed_and_do_not_fail_validation(tmp_path, capsys):
    files = dict(TEN_MISTAKES)
    del files["notes.yaml"], files["cohort.yaml"], files["samples.csv"], files["run.yaml"]
    files["stack.yaml"] = "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: lab}\nspec: {}\n"
    files["workflows.yaml"] = TEN_MISTAKES["workflows.yaml"].split("---")[1]
    files["templates/germline.yaml"] = files["templates/germline.yaml"].replace("${sampel}", "${sample}")
    root = write_tree(tmp_path / "stack", files)
    assert cli.main(["validate", str(root)]) == 0
    out, err = capsys.readouterr()
    assert out == "Valid: 1 stack, 1 workflow, 0 executions (0 execution sets); 0 errors, 1 warning.\n"
    assert err.startswith("templates/germline.yaml:1:1: warning: template 'templates/germline.yaml' is not "
                          "named by any Workflow's spec.template (at version)\n")
    assert cli.main(["validate", str(root), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["valid"], document["errors"], document["warnings"]) == (True, 0, 1)


def test_a_missing_directory_fails_with_a_diagnostic_and_json_still_parses(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().err == (f"{tmp_path / 'nope'}: error: stack directory does not exist\n"
                                       "  hint: give the directory that holds the stack's manifests\n"
                                       "1 error, 0 warnings\n")
    assert cli.main(["validate", str(tmp_path / "nope"), "--json"]) == 1
    Draft202012Validator(load_schema("diagnostics")).validate(json.loads(capsys.readouterr().out))


def test_validate_needs_a_directory_argument(capsys):
    assert cli.main(["validate"]) == 1
    assert "the following arguments are required: DIR" in capsys.readouterr().err


def test_hostile_files_are_each_reported_with_exit_1_and_no_traceback(tmp_path, capsys):
    """Alias bomb, recursive alias, nesting that crashed libyaml, a 5000-digit integer, a FIFO,
    binary bytes, a range of 10**22 containers and a non-UTF-8 sample sheet, all in one tree
    (before the fixes: MemoryError, RecursionError, a segfault, a hang)."""
    root = tmp_path / "stack"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
    bomb = ["apiVersion: gcsapply/v1", "kind: Workflow", "metadata: {name: bomb}", "spec:",
            "  template: templates/qc.yaml", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (root / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    (root / "loop.yaml").write_text("apiVersion: gcsapply/v1\nkind: Stack\nmetadata: &m {name: x, m: *m}\n")
    (root / "deep.yaml").write_text("apiVersion: gcsapply/v1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    na12878 = (root / "na12878.yaml").read_text()
    (root / "na12878.yaml").write_text(na12878.replace("priority: 10", "priority: " + "9" * 5000))
    os.mkfifo(root / "pipe.yml")
    (root / "binary.yaml").write_bytes(bytes(range(256)))
    qc = (root / "templates/qc.yaml").read_text()
    (root / "templates/qc.yaml").write_text(qc.replace("- [R1, R2]", "- range(0, 10000000000000000000000)", 1))
    (root / "samples.csv").write_bytes((root / "samples.csv").read_bytes() + b"\xff\xfe,x,y\n")
    assert cli.main(["validate", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "internal error" not in err and "Traceback" not in err
    reported = {line.split(": error: ")[0]: line.split(": error: ")[1] for line in err.splitlines()
                if ": error: " in line}
    assert reported["binary.yaml:2"] == "file is not valid UTF-8"
    assert reported["bomb.yaml:6:39"].startswith("YAML aliases expand to more than 100000 values")
    assert reported["deep.yaml:2:67"] == "YAML nested more than 64 levels deep"
    assert reported["loop.yaml:3:11"] == "a YAML alias refers to its own anchor (at metadata.m)"
    assert reported["na12878.yaml:12:13"].startswith("integer too large")
    assert reported["pipe.yml"] == "'pipe.yml' is not a regular file"
    assert reported["samples.csv:5"] == "sample sheet is not valid UTF-8"
    assert reported["templates/qc.yaml:20:11"].startswith("range gives 10000000000000000000000 values")


def test_a_tree_without_a_stack_manifest_is_valid_with_a_warning_that_it_is_named_after_its_directory(
        tmp_path, capsys):
    files = {name: TEN_MISTAKES[name] for name in ("templates/qc.yaml",)}
    files["workflows.yaml"] = TEN_MISTAKES["workflows.yaml"].split("---")[1]
    root = write_tree(tmp_path / "prod", files)
    assert cli.main(["validate", str(root)]) == 0
    out, err = capsys.readouterr()
    assert out == "Valid: 0 stacks, 1 workflow, 0 executions (0 execution sets); 0 errors, 1 warning.\n"
    assert err == (
        "warning: this stack has no Stack manifest, so it is named 'prod' after its directory; two directories "
        "named 'prod' in one project would manage the same runs\n"
        "  hint: add a Stack manifest with a metadata.name unique in the project: 'apiVersion: gcsapply/v1', "
        "'kind: Stack', 'metadata: {name: <name>}', 'spec: {}'\n")
    assert cli.main(["validate", str(root), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(d["severity"], d["code"], d["file"]) for d in document["diagnostics"]] == [
        ("warning", "stack-name-from-directory", None)]
