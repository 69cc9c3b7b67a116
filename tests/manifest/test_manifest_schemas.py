"""Each kind's JSON Schema, through validate_document: positions, paths, messages and hints."""

import json

import pytest
from jsonschema import Draft202012Validator

from gcsapply.manifest.schema import SCHEMA_NAMES, validate_document
from gcsapply.schemas import load_schema
from gcsapply.yamlio import load_yaml_text


def check(text, schema):
    documents, diagnostics = load_yaml_text(text, "m.yaml")
    assert diagnostics == []
    return [d.render() for d in validate_document(documents[0], schema)]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_a_valid_draft_2020_12_schema(name):
    Draft202012Validator.check_schema(load_schema(name))


def test_a_complete_stack_manifest_is_valid():
    text = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: genomics-prod}
spec:
  endpoint: https://gcs.cn-north-4.myhuaweicloud.com
  region: cn-north-4
  projectId: 0123456789abcdef0123456789abcdef
  state: {path: .gcsapply/state.json}
  parallelism: 64
  rateLimit: {readsPerMinute: 600, writesPerMinute: 300}
  pageSize: 1000
  limits: {maxLaunchesPerApply: null, maxDeletesPerApply: 3}
  defaults:
    execution: {environment: default-cci, priority: 5, labels: {team: wgs}}
"""
    assert check(text, "stack") == []


@pytest.mark.parametrize("endpoint, ok", [
    ("embedded", True), ("region", True), ("https://gcs.example.org", True),
    ("https://gcs.example.org/base", True), ("http://127.0.0.1:8080", True),
    ("http://localhost:9000", True), ("http://gcs.example.org", False), ("ftp://x", False),
    ("Embedded", False), ("https://", False),
])
def test_stack_endpoint_is_embedded_region_or_an_https_url(endpoint, ok):
    text = f"apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {{name: s}}\nspec: {{endpoint: '{endpoint}'}}\n"
    assert (check(text, "stack") == []) is ok


def test_stack_ranges_are_reported_at_the_value_with_the_allowed_range():
    text = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: s}
spec:
  parallelism: 0
  pageSize: 1001
  rateLimit: {readsPerMinute: 0}
"""
    assert check(text, "stack") == [
        "m.yaml:5:16: error: 'parallelism' must be between 1 and 64 (got integer 0) (at spec.parallelism)\n"
        "  hint: use a number from 1 to 64",
        "m.yaml:6:13: error: 'pageSize' must be between 1 and 1000 (got integer 1001) (at spec.pageSize)\n"
        "  hint: use a number from 1 to 1000",
        "m.yaml:7:31: error: 'readsPerMinute' must be at least 1 (got integer 0) (at spec.rateLimit.readsPerMinute)\n"
        "  hint: use 1 or more",
    ]


def test_a_complete_workflow_manifest_is_valid():
    text = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: germline}
spec:
  template: templates/germline.yaml
  description: GATK germline short variants
  vendor: genomics-lab
  versioning: none
  lifecycle: {preventDestroy: true}
"""
    assert check(text, "workflow") == []


def test_workflow_needs_a_template_and_a_short_lowercase_name():
    text = "apiVersion: gcsapply/v1\nkind: Workflow\nmetadata: {name: a-name-that-is-thirty-two-chars-x}\nspec: {}\n"
    out = check(text, "workflow")
    assert out[0].startswith("m.yaml:3:18: error: 'name' must be lowercase letters")
    assert "at most 31 characters (got string 'a-name-that-is-thirty-two-chars-x')" in out[0]
    assert out[1] == ("m.yaml:4:1: error: missing required key 'template' (at spec)\n"
                      "  hint: give the path of a genecontainer_0_1 template, relative to this file")


def test_a_complete_execution_manifest_is_valid():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: na12878}
spec:
  workflow: germline
  inputs: {sample: NA12878, depth: 30, regions: [chr1, chr2], paired: true}
  environment: default-cci
  target: cce
  namespace: gene
  sfsPvcName: gene-sfs-01
  priority: 999
  timeout: 1
  jobRetryCount: 3
  imagePullPolicy: Never
  description: first run
  labels: {team: wgs}
  notification: {events: [exec_failed, exec_succeeded], email: [ops@example.org], sms: ["+8613800000000"]}
  runPolicy: {mode: untilSucceeded, maxRetries: 0, rerunToken: "2026-11-28"}
  deletionPolicy: delete
  desiredState: cancelled
  lifecycle: {preventDestroy: false}
"""
    assert check(text, "execution") == []


def test_execution_workflow_may_be_an_id_but_not_anything_else():
    base = "apiVersion: gcsapply/v1\nkind: Execution\nmetadata: {name: r}\nspec:\n  workflow: "
    assert check(base + "{id: 0e7196ae-fdbf-84e4-d751-28554dcd7572}\n", "execution") == []
    assert check(base + "{id: nope}\n", "execution") == [
        "m.yaml:5:13: error: 'workflow' must be the metadata.name of a Workflow in this stack, or "
        "{id: <uuid>} (got a mapping) (at spec.workflow)\n"
        "  hint: e.g. 'workflow: germline' or 'workflow: {id: 0e7196ae-fdbf-84e4-d751-28554dcd7572}'"]


def test_execution_enums_list_the_allowed_values_and_suggest_a_close_one():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: r}
spec:
  workflow: w
  imagePullPolicy: always
  runPolicy: {mode: until-succeeded}
  deletionPolicy: keep
  desiredState: canceled
"""
    assert check(text, "execution") == [
        "m.yaml:6:20: error: 'imagePullPolicy' must be one of: IfNotPresent, Always, Never (got string 'always') (at spec.imagePullPolicy)\n"
        "  hint: did you mean 'Always'?",
        "m.yaml:7:21: error: 'mode' must be one of: once, untilSucceeded (got string 'until-succeeded') (at spec.runPolicy.mode)\n"
        "  hint: did you mean 'untilSucceeded'?",
        "m.yaml:8:19: error: 'deletionPolicy' must be one of: retain, delete (got string 'keep') (at spec.deletionPolicy)\n"
        "  hint: use one of the listed values",
        "m.yaml:9:17: error: 'desiredState' must be one of: active, cancelled (got string 'canceled') (at spec.desiredState)\n"
        "  hint: did you mean 'cancelled'?",
    ]


def test_execution_numbers_are_range_checked_and_booleans_are_not_numbers():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: r}
spec:
  workflow: w
  priority: 1000
  timeout: 0
  jobRetryCount: true
  runPolicy: {maxRetries: -1}
"""
    assert check(text, "execution") == [
        "m.yaml:6:13: error: 'priority' must be between 0 and 999 (got integer 1000) (at spec.priority)\n"
        "  hint: use a number from 0 to 999",
        "m.yaml:7:12: error: 'timeout' must be at least 1 (got integer 0) (at spec.timeout)\n  hint: use 1 or more",
        "m.yaml:8:18: error: 'jobRetryCount' must be an integer (got boolean true) (at spec.jobRetryCount)\n"
        "  hint: write a number, without quotes",
        "m.yaml:9:27: error: 'maxRetries' must be between 0 and 100 (got integer -1) (at spec.runPolicy.maxRetries)\n"
        "  hint: use a number from 0 to 100",
    ]


def test_notification_events_emails_and_phone_numbers_are_checked():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: r}
spec:
  workflow: w
  notification:
    events: [exec_failed, exec_started]
    email: [not-an-address]
    sms: [call me]
    webhook: [x]
"""
    out = check(text, "execution")
    assert out == [
        "m.yaml:7:27: error: item 1 must be one of: exec_failed, exec_succeeded (got string 'exec_started') (at spec.notification.events[1])\n"
        "  hint: did you mean 'exec_failed'?",
        "m.yaml:8:13: error: item 0 must be an email address (got string 'not-an-address') (at spec.notification.email[0])\n"
        "  hint: e.g. ops@example.org",
        "m.yaml:9:11: error: item 0 must be a phone number (digits, optional leading +) (got string 'call me') (at spec.notification.sms[0])\n"
        "  hint: e.g. +8613800000000",
        "m.yaml:10:5: error: unknown key 'webhook' (at spec.notification.webhook)\n"
        "  hint: allowed keys here: events, email, sms",
    ]


def test_labels_are_strings_and_the_gcsapply_prefix_is_reserved():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: r}
spec:
  workflow: w
  labels:
    team: wgs
    gcsapply-stack: other
    batch: 7
"""
    assert check(text, "execution") == [
        "m.yaml:8:5: error: invalid key 'gcsapply-stack': label names must be 1-63 characters and must "
        "not start with 'gcsapply-' (at spec.labels.gcsapply-stack)\n"
        "  hint: labels starting with 'gcsapply-' are reserved for gcsapply's own bookkeeping",
        "m.yaml:9:12: error: 'batch' must be a string (got integer 7) (at spec.labels.batch)\n"
        "  hint: quote numbers and booleans: label values are strings",
    ]


def test_unknown_keys_are_reported_at_the_key_with_a_did_you_mean():
    text = """\
apiVersion: gcsapply/v1
kind: Execution
metadata: {name: r, labels: {}}
spec:
  workflow: w
  inputz: {}
  retryPolicy: {}
"""
    assert check(text, "execution") == [
        "m.yaml:3:21: error: unknown key 'labels' (at metadata.labels)\n  hint: allowed keys here: name",
        "m.yaml:6:3: error: unknown key 'inputz' (at spec.inputz)\n  hint: did you mean 'inputs'?",
        "m.yaml:7:3: error: unknown key 'retryPolicy' (at spec.retryPolicy)\n  hint: did you mean 'runPolicy'?",
    ]


def test_a_complete_executionset_manifest_is_valid():
    text = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort-2026-11}
spec:
  samples: samples.tsv
  key: sample_id
  template: {workflow: germline, inputs: {sample: "{{ sample.sample_id }}"}, priority: 3}
"""
    assert check(text, "executionset") == []


def test_executionset_samples_must_be_a_sheet_path_or_a_list_of_rows():
    text = """\
apiVersion: gcsapply/v1
kind: ExecutionSet
metadata: {name: cohort}
spec:
  samples: samples.xlsx
  template: {workflow: germline, timeout: soon}
"""
    assert check(text, "executionset") == [
        "m.yaml:4:1: error: missing required key 'key' (at spec)\n"
        "  hint: name the sample-sheet column that tells rows apart, e.g. 'key: sample_id'",
        "m.yaml:5:12: error: 'samples' must be the path of a .csv or .tsv file, or a non-empty list of rows "
        "(mappings of column to string, number or boolean) (got string 'samples.xlsx') (at spec.samples)\n"
        "  hint: e.g. samples: samples.csv, or samples: [{sample_id: NA12878}]",
        "m.yaml:6:43: error: 'timeout' must be an integer (got string 'soon') (at spec.template.timeout)\n"
        "  hint: write a number, without quotes",
    ]


def test_wrong_api_version_and_missing_top_level_keys_are_reported():
    text = "apiVersion: gcsapply/v2\nkind: Stack\n"
    assert check(text, "stack") == [
        "m.yaml:1:1: error: missing required key 'metadata'\n"
        "  hint: add 'metadata: {name: <name>}'",
        "m.yaml:1:1: error: missing required key 'spec'\n  hint: add a 'spec:' mapping",
        "m.yaml:1:13: error: 'apiVersion' must be 'gcsapply/v1' (got string 'gcsapply/v2') (at apiVersion)\n"
        "  hint: every manifest starts with 'apiVersion: gcsapply/v1'",
    ]


def test_diagnostics_schema_accepts_what_render_diagnostics_json_prints():
    from gcsapply.diagnostics import Diagnostic, render_diagnostics_json

    document = json.loads(render_diagnostics_json([
        Diagnostic("error", "unknown-key", "unknown key 'x'", "a.yaml", 1, 2, "spec.x", "did you mean 'y'?"),
        Diagnostic("warning", "unreferenced-template", "t", "t.yaml"),
    ]))
    Draft202012Validator(load_schema("diagnostics")).validate(document)
