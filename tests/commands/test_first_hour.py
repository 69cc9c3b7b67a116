"""The first hour of a new user, through the real CLI: a mistake is reported at the line that
holds it, a mistyped directory is refused and left untouched, the state is where the Stack
manifest is, and ``status`` never shows a negative duration."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from apply_harness import COHORT, ECHO_TEMPLATE, WORKFLOW, Gcs, execution

from gcsapply.schemas import load_schema

CREDENTIAL_VARIABLES = ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK",
                        "HW_SECURITY_TOKEN", "HW_USER_NAME", "HW_USER_PASSWORD", "HW_DOMAIN_NAME",
                        "HW_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID", "HW_REGION_NAME",
                        "GCSAPPLY_TRUSTED_ENDPOINTS")
TOKEN_ENV = {"HW_USER_NAME": "alice", "HW_USER_PASSWORD": "SENTINEL-PASSWORD-0001",
             "HW_DOMAIN_NAME": "lab"}
ENVIRONMENTS = "existing environments: cromwell-env, default-cce, default-cci"


def stack(environment: str = "default-cci", endpoint: str = "embedded") -> str:
    return f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: firsthour}}
spec:
  endpoint: {endpoint}
  defaults:
    execution: {{environment: {environment}, namespace: gene, sfsPvcName: gene-sfs-01}}
"""


SAMPLES = "sample_id,env\nHG002,default-cci\nHG003,default-ccx\n"


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys) -> Gcs:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"workflows.yaml": WORKFLOW, "templates/hello.yaml": ECHO_TEMPLATE})
    return gcs


# -- item 6: reference errors point at the key that holds the value ----------------------------

def test_an_unknown_environment_in_the_stack_defaults_is_reported_at_that_line_of_the_stack(gcs):
    gcs.write({"stack.yaml": stack("default-ccl"), "cohort.yaml": COHORT, "samples.csv": SAMPLES})
    result = gcs.run("plan", gcs.root)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "stack.yaml:7:30: error: environment 'default-ccl' does not exist (used by "
        "execution/cohort-hg002, execution/cohort-hg003) (at spec.defaults.execution.environment)\n"
        f"  hint: did you mean 'default-cci'? {ENVIRONMENTS}\n"
        "1 error, 0 warnings\n")


def test_an_unknown_environment_in_an_execution_is_reported_at_its_spec_environment_key(gcs):
    gcs.write({"stack.yaml": stack(), "na12878.yaml": execution("na12878", "NA12878", extra="""\
        environment: default-cci
        """), "hg002.yaml": execution("hg002", "HG002", extra="""\
        target: cci
        environment: gpu-pool
        """)})
    result = gcs.run("plan", gcs.root)
    assert result.code == 1
    assert result.err == (
        "hg002.yaml:8:16: error: environment 'gpu-pool' does not exist (used by execution/hg002) "
        "(at spec.environment)\n"
        f"  hint: {ENVIRONMENTS}\n"
        "1 error, 0 warnings\n")


def test_an_environment_taken_from_the_sample_sheet_is_reported_at_the_row_that_gives_it(gcs):
    gcs.write({"stack.yaml": stack(), "samples.csv": SAMPLES,
               "cohort.yaml": COHORT + '    environment: "{{ sample.env }}"\n'})
    result = gcs.run("plan", gcs.root)
    assert result.code == 1
    assert result.err == (
        "samples.csv:3: error: environment 'default-ccx' does not exist (used by "
        "execution/cohort-hg003) (at spec.template.environment)\n"
        f"  hint: did you mean 'default-cci'? {ENVIRONMENTS}\n"
        "1 error, 0 warnings\n")


def test_an_unknown_workflow_id_is_reported_at_its_spec_workflow_id_key(gcs):
    gcs.write({"stack.yaml": stack(), "byid.yaml": """\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {name: byid}
        spec:
          workflow:
            id: 0e7196ae-fdbf-84e4-d751-28554dcd7572
          inputs: {sample: S1}
        """})
    result = gcs.run("plan", gcs.root)
    assert result.code == 1
    assert result.err == (
        "byid.yaml:6:9: error: no workflow with id 0e7196ae-fdbf-84e4-d751-28554dcd7572 in the "
        "project (used by execution/byid) (at spec.workflow.id)\n"
        "  hint: give the id of a workflow of this project, or a public one\n"
        "1 error, 0 warnings\n")


def test_no_credentials_is_reported_at_the_endpoint_line_and_nothing_is_created(gcs):
    gcs.write({"stack.yaml": stack(endpoint="region")})
    result = gcs.run("plan", gcs.root)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "error: stack.yaml:5:13: no credentials for region cn-north-4 "
        "(https://gcs.cn-north-4.myhuaweicloud.com)\n"
        "  hint: set HW_ACCESS_KEY and HW_SECRET_KEY (or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK), "
        "or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME; endpoint: embedded needs none\n")
    assert sorted(os.listdir(gcs.root)) == ["stack.yaml", "templates", "workflows.yaml"]


def test_an_untrusted_endpoint_is_reported_at_the_endpoint_line(gcs, monkeypatch):
    for name, value in TOKEN_ENV.items():
        monkeypatch.setenv(name, value)
    gcs.write({"stack.yaml": stack(endpoint="https://gcs.example.org")})
    result = gcs.run("status", gcs.root)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "error: stack.yaml:5:13: spec.endpoint: will not send HW_USER_PASSWORD and the IAM token "
        "to gcs.example.org: not a Huawei Cloud domain, and not listed in "
        "GCSAPPLY_TRUSTED_ENDPOINTS")
    assert "SENTINEL-PASSWORD" not in result.out + result.err


def test_an_endpoint_url_gcsapply_cannot_read_is_reported_at_the_endpoint_line(gcs):
    gcs.write({"stack.yaml": stack(endpoint="https://gcs_lab.example.org")})
    result = gcs.run("plan", gcs.root)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "error: stack.yaml:5:13: spec.endpoint: the URL has a host that is not a plain name, IPv4 "
        "or [IPv6] address")


# -- item 7: a directory with no manifests and no state is refused, untouched ------------------

@pytest.mark.parametrize("command", [
    ("status", "{dir}"), ("destroy", "{dir}", "--auto-approve"),
    ("outputs", "{dir}", "execution/na12878"), ("state", "list", "{dir}"),
    ("state", "show", "{dir}", "execution/na12878"), ("state", "unlock", "{dir}")],
    ids=" ".join)
def test_a_directory_with_no_manifests_and_no_state_is_refused_and_nothing_is_created(
        tmp_path, monkeypatch, capsys, command):
    empty = tmp_path / "typo"
    empty.mkdir()
    gcs = Gcs(empty, monkeypatch, capsys)
    result = gcs.run(*(part.format(dir=empty) for part in command))
    assert result.code == 1
    assert result.err.splitlines()[0] == f"error: no manifests found under {empty}"
    assert result.err.splitlines()[1] == (
        "  hint: manifests are YAML files with 'apiVersion: gcsapply/v1', and there is no state "
        f"at {empty}/.gcsapply/state.json either: give the stack's directory")
    assert os.listdir(empty) == []
    assert gcs.servers == []  # no emulator was started


def test_the_current_directory_is_named_when_it_holds_no_stack(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    result = Gcs(tmp_path, monkeypatch, capsys).run("status", ".")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        f"error: no manifests found under . ({tmp_path})",
        "  hint: manifests are YAML files with 'apiVersion: gcsapply/v1', and there is no state "
        "at .gcsapply/state.json either: give the stack's directory"]
    assert os.listdir(tmp_path) == []


def test_status_json_of_a_directory_with_no_manifests_prints_the_diagnostics_document(
        tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path, monkeypatch, capsys)
    result = gcs.run("status", tmp_path, "--json")
    assert (result.code, result.err) == (1, "")
    document = json.loads(result.out)
    jsonschema.validate(document, load_schema("diagnostics"))
    assert [(d["code"], d["message"]) for d in document["diagnostics"]] == [
        ("no-manifests", f"no manifests found under {tmp_path}")]
    assert os.listdir(tmp_path) == []


def test_a_directory_whose_manifests_were_removed_still_shows_and_destroys_what_its_state_holds(
        tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "lab", monkeypatch, capsys)
    gcs.write({"workflows.yaml": WORKFLOW, "templates/hello.yaml": ECHO_TEMPLATE,
               "na12878.yaml": execution("na12878", "NA12878", extra="""\
                   environment: default-cci
                   namespace: gene
                   sfsPvcName: gene-sfs-01
                   deletionPolicy: delete
                   """)})
    assert gcs.apply().code == 0
    gcs.write({"workflows.yaml": None, "templates/hello.yaml": None, "na12878.yaml": None})
    gcs.clock.advance(60)
    status = gcs.run("status", gcs.root)
    assert status.code == 0, status.err
    assert status.out.splitlines()[-1] == "1 runs (1 finished): 1 Succeeded."
    destroyed = gcs.run("destroy", gcs.root, "--auto-approve")
    assert destroyed.code == 0, destroyed.err
    assert gcs.executions() == []


# -- item 8: the default state is beside the Stack manifest ------------------------------------

def test_the_state_and_database_are_found_beside_the_stack_file_from_any_directory_above_it(
        tmp_path, monkeypatch, capsys):
    parent = tmp_path / "parent"
    gcs = Gcs(parent / "manifests", monkeypatch, capsys)
    gcs.write({"stack.yaml": stack(), "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "na12878.yaml": execution("na12878", "NA12878")})
    assert gcs.apply().code == 0
    assert {".gitignore", "emulator.sqlite", "state.json"} <= set(
        os.listdir(parent / "manifests" / ".gcsapply"))

    result = gcs.run("plan", parent)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "Target: embedded emulator (manifests/.gcsapply/emulator.sqlite), project "
        "0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, stack firsthour")
    assert result.out.splitlines()[-1] == "No changes."
    database = parent / "manifests" / ".gcsapply" / "emulator.sqlite"
    assert [server.db_path for server in gcs.servers] == [database, database]  # apply, plan
    assert sorted(os.listdir(parent)) == ["manifests"]


def test_a_stack_without_a_stack_manifest_keeps_its_state_in_the_directory_given(
        tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "lab", monkeypatch, capsys)
    gcs.write({"manifests/workflows.yaml": WORKFLOW.replace("templates/", "../templates/"),
               "templates/hello.yaml": ECHO_TEMPLATE,
               "manifests/na12878.yaml": execution("na12878", "NA12878", extra="""\
                   environment: default-cci
                   namespace: gene
                   sfsPvcName: gene-sfs-01
                   """)})
    assert gcs.apply().code == 0
    assert (gcs.root / ".gcsapply" / "state.json").is_file()
    assert not (gcs.root / "manifests" / ".gcsapply").exists()


# -- item 9: no negative duration ------------------------------------------------------------

def test_a_run_cancelled_while_pending_has_a_duration_of_zero_in_text_and_json(gcs):
    gcs.write({"stack.yaml": stack(), "na12878.yaml": execution("na12878", "NA12878")})
    assert gcs.apply().code == 0
    gcs.write({"na12878.yaml": execution("na12878", "NA12878", extra="""\
        desiredState: cancelled
        """)})
    assert gcs.apply().code == 0  # at the same instant: the run is still Pending
    gcs.clock.advance(60)  # past the moment it would have started
    (listed,) = gcs.executions()
    assert (listed["execution"]["status"], listed["execution"]["time_duration"]) == ("Cancelled", -1)

    text = gcs.run("status", gcs.root)
    assert text.code == 0, text.err
    assert text.out.splitlines()[2].split() == [
        "execution/na12878", "Cancelled", "0/1", "2026-01-01T00:00:00Z", "0:00:00"]
    document = json.loads(gcs.run("status", gcs.root, "--json").out)
    jsonschema.validate(document, load_schema("status"))
    assert [run["duration_s"] for run in document["runs"]] == [0]
