"""``gcsapply plan`` end to end: the real CLI, client and signer against the emulator."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gcsapply import cli
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.emulator.credentials import EmulatorCredentials
from gcsapply.manifest.build import load_stack
from gcsapply.manifest.model import LABEL_KEY, LABEL_STACK
from gcsapply.plan.model import PlanOptions
from gcsapply.plan.saved import compare_saved
from gcsapply.render.plan_text import plan_document
from gcsapply.schemas import load_schema
from gcsapply.workspace import make_plan, open_workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "manifests"
SENTINEL_AK = "SENTINELAK0000000001"
SENTINEL_SK = "SENTINEL-SECRET-never-print-me-0001"
LIST_CALLS = {"GET /v1/workflows", "GET /v1/executions", "GET /v1/environments", "GET /v1/tools"}


@pytest.fixture
def emulator_clock() -> ManualClock:
    """The CLI signs with the system clock; the emulator's own clock starts there and only
    moves when a test advances it (nothing here sleeps or times anything)."""
    return ManualClock(start=time.time())


@pytest.fixture
def stack_dir(tmp_path, emulator, monkeypatch):
    """The example stack, pointed at the test emulator by URL, credentials in the environment."""
    root = tmp_path / "stack"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
    stack = root / "stack.yaml"
    stack.write_text(stack.read_text().replace("endpoint: embedded",
                                               f"endpoint: {emulator.url}"))
    for name in ("HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HW_ACCESS_KEY", EMBEDDED_AK)
    monkeypatch.setenv("HW_SECRET_KEY", EMBEDDED_SK)
    monkeypatch.setenv("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)
    return root


def _plan(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["plan", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _apply_by_hand(api, root: Path) -> dict:
    """What a perfect apply leaves in GCS: each workflow version and each run, labelled."""
    loaded = load_stack(root)
    ids = {}
    for spec in loaded.desired.workflows.values():
        ids[spec.name] = api.create_workflow(
            {"name": spec.gcs_name, "description": spec.description, "vendor": spec.vendor,
             "filename": spec.upload_filename}, spec.upload_filename, spec.template_bytes)
    for spec in loaded.desired.executions.values():
        api.create_execution({
            "name": spec.gcs_name, "workflow_id": ids[spec.workflow],
            "sfs_pvc_name": spec.sfs_pvc_name, "namespace": spec.namespace,
            "target": spec.target, "priority": spec.priority, "inputs_json": spec.inputs,
            "label": spec.gcs_labels(loaded.desired.stack.name)})
    return ids


def test_a_fresh_stack_on_the_embedded_emulator_plans_everything_as_create(tmp_path, capsys):
    root = tmp_path / "demo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
    code, out, err = _plan(capsys, root)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == ("Target: embedded emulator (.gcsapply/emulator.sqlite), "
                                   "project 0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, stack genomics-demo")
    assert out.splitlines()[-1] == ("Plan: 6 to create, 0 to update, 0 to replace, 0 to retry, "
                                    "0 to cancel, 0 to delete, 0 to forget.")
    assert (root / ".gcsapply" / ".gitignore").read_text() == "*\n"
    assert not (root / ".gcsapply" / "state.json").exists()  # plan never writes state


def test_json_plan_validates_against_the_schema_and_is_byte_identical(stack_dir, capsys):
    code, first, err = _plan(capsys, stack_dir, "--json")
    assert code == 0 and err.startswith(f"Target: {_url(stack_dir)}")
    document = json.loads(first)
    Draft202012Validator(load_schema("plan")).validate(document)
    assert document["summary"]["create"] == 6
    assert [c["address"] for c in document["changes"]] == [
        "execution/cohort-2026-11-hg002", "execution/cohort-2026-11-hg003",
        "execution/cohort-2026-11-hg004", "execution/na12878", "workflow/germline",
        "workflow/qc"]
    assert _plan(capsys, stack_dir, "--json")[1] == first


def test_text_plan_of_a_fresh_stack_is_exactly_the_golden_output(stack_dir, capsys):
    code, out, _ = _plan(capsys, stack_dir)
    assert code == 0
    assert out.replace(_url(stack_dir), "URL") == GOLDEN_TEXT


def test_markdown_plan_of_a_fresh_stack_is_exactly_the_golden_output(stack_dir, capsys):
    code, out, err = _plan(capsys, stack_dir, "--markdown")
    assert code == 0 and err.startswith("Target: ")
    assert out == GOLDEN_MARKDOWN


def test_a_fresh_stack_plan_lists_validates_and_reads_nothing_else(stack_dir, capsys, emulator):
    emulator.reset_stats()
    _plan(capsys, stack_dir, "--json")
    calls = {k for k, v in emulator.stats().items() if v}
    assert calls == LIST_CALLS | {"POST /v1/workflows/validate"}


def test_planning_an_applied_stack_makes_only_list_calls_and_is_empty(stack_dir, capsys,
                                                                        emulator, emulator_api):
    _apply_by_hand(emulator_api, stack_dir)
    emulator.reset_stats()
    code, out, _ = _plan(capsys, stack_dir, "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes.")
    stats = {k: v for k, v in emulator.stats().items() if v}
    assert set(stats) == LIST_CALLS
    assert stats["GET /v1/executions"] == 1  # one page of 100 holds the four runs
    assert not (stack_dir / ".gcsapply" / "state.json").exists()


def test_detailed_exitcode_is_2_when_there_are_changes(stack_dir, capsys):
    assert _plan(capsys, stack_dir, "--detailed-exitcode")[0] == 2
    assert _plan(capsys, stack_dir)[0] == 0


def test_a_same_named_run_with_other_labels_is_an_error_naming_its_owner(stack_dir, capsys,
                                                                         emulator_api):
    loaded = load_stack(stack_dir)
    spec = loaded.desired.executions["execution/na12878"]
    wf = loaded.desired.workflows["workflow/germline"]
    workflow_id = emulator_api.create_workflow({"name": wf.gcs_name}, wf.upload_filename,
                                               wf.template_bytes)
    emulator_api.create_execution({"name": spec.gcs_name, "workflow_id": workflow_id,
                                   "sfs_pvc_name": "gene-sfs-01", "namespace": "gene",
                                   "label": {LABEL_STACK: "someone-else", LABEL_KEY: "v1-x"}})
    code, out, err = _plan(capsys, stack_dir)
    assert code == 1 and out == ""
    assert "execution/na12878: na12878-0b5d4613" in err
    assert "labelled for stack 'someone-else'" in err


def test_an_unknown_environment_fails_listing_what_exists(stack_dir, capsys):
    (stack_dir / "na12878.yaml").write_text(
        (stack_dir / "na12878.yaml").read_text() + "  environment: default-ccl\n")
    code, out, err = _plan(capsys, stack_dir)
    assert code == 1
    assert "error: environment 'default-ccl' does not exist" in err
    assert "did you mean 'default-cci'? existing environments: cromwell-env, default-cce, " \
           "default-cci" in err


def test_a_target_matching_nothing_is_an_error(stack_dir, capsys):
    code, _, err = _plan(capsys, stack_dir, "--target", "execution/na12787")
    assert code == 1
    assert "--target execution/na12787 matches nothing" in err
    assert "did you mean execution/na12878?" in err


def test_launches_above_the_stack_limit_need_allow_launches(stack_dir, capsys):
    stack = stack_dir / "stack.yaml"
    stack.write_text(stack.read_text().replace("maxLaunchesPerApply: 20",
                                               "maxLaunchesPerApply: 2"))
    code, _, err = _plan(capsys, stack_dir)
    assert code == 1 and "launches 4 run(s), above the limit of 2" in err
    assert _plan(capsys, stack_dir, "--allow-launches", "4")[0] == 0


def test_a_saved_plan_matches_a_fresh_plan_of_the_same_inputs(stack_dir, capsys, tmp_path):
    out_file = tmp_path / "plan.json"
    code, _, err = _plan(capsys, stack_dir, "--json", "--out", out_file)
    assert code == 0 and "Saved the plan to" in err
    saved = json.loads(out_file.read_text())
    Draft202012Validator(load_schema("plan")).validate(saved)
    assert saved["saved"]["stack_dir"] == os.path.relpath(stack_dir)
    with open_workspace(stack_dir) as workspace:
        fresh = make_plan(workspace, PlanOptions())
        assert compare_saved(saved, fresh, plan_document(fresh)) == []


def test_plan_warns_when_the_state_lock_is_held(stack_dir, capsys):
    lock = stack_dir / ".gcsapply" / "state.lock"
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(json.dumps({"pid": 1, "host": "ci-runner-7", "command": "apply",
                                "started_at": "2026-11-28T01:00:00Z"}))
    code, _, err = _plan(capsys, stack_dir)
    assert code == 0
    assert "warning: the state is locked by pid 1 on host ci-runner-7, command 'apply'" in err


def test_sentinel_credentials_never_appear_in_any_output_saved_plan_or_file(tmp_path, capsys,
                                                                            monkeypatch,
                                                                            emulator_clock,
                                                                            caplog):
    # In-process, --debug's basicConfig finds pytest's handlers already installed: read the
    # debug log through caplog, or the --debug case would check an empty string.
    caplog.set_level(logging.DEBUG)
    credentials = EmulatorCredentials(ak=SENTINEL_AK, sk=SENTINEL_SK)
    server = EmulatorServer(tmp_path / "sentinel.sqlite", clock=emulator_clock,
                            credentials=credentials).start()
    try:
        root = tmp_path / "stack"
        shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".gcsapply"))
        stack = root / "stack.yaml"
        stack.write_text(stack.read_text().replace("endpoint: embedded",
                                                   f"endpoint: {server.url}"))
        monkeypatch.setenv("HW_ACCESS_KEY", SENTINEL_AK)
        monkeypatch.setenv("HW_SECRET_KEY", SENTINEL_SK)
        monkeypatch.setenv("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)
        outputs = []
        for args in ([], ["--json"], ["--markdown"], ["--out", tmp_path / "saved.json"],
                     ["--debug"]):
            code, out, err = _plan(capsys, root, *args)
            assert code == 0, err
            outputs += [out, err]
        assert cli.main(["apply", str(root), "--auto-approve"]) == 0  # state and journal too
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err, caplog.text]
        assert "'Authorization': '<redacted>'" in caplog.text  # the debug log was read
        assert (root / ".gcsapply" / "state.json").is_file()
        files = [p.read_bytes() for p in list(root.rglob("*")) + [tmp_path / "saved.json"]
                 if p.is_file() and p.suffix != ".sqlite"]
        for text in outputs + [f.decode("utf-8", "replace") for f in files]:
            assert SENTINEL_SK not in text
    finally:
        server.stop()


def _url(stack_dir: Path) -> str:
    text = (stack_dir / "stack.yaml").read_text()
    return text.split("endpoint: ", 1)[1].split()[0]


GOLDEN = Path(__file__).parent / "golden"
GOLDEN_TEXT = (GOLDEN / "plan-fresh.txt").read_text("utf-8")  # URL stands for the emulator's
GOLDEN_MARKDOWN = (GOLDEN / "plan-fresh.md").read_text("utf-8")


def test_a_plan_of_300_seeded_runs_stays_within_the_call_budget(tmp_path, capsys, emulator,
                                                               monkeypatch):
    """DESIGN §9 at test size: calls <= ceil(runs / pageSize) + 10, list calls only."""
    import math

    import requests

    from gcsapply.client.auth import AkSkAuth
    from gcsapply.manifest.model import run_key
    from gcsapply.manifest.names import member_name

    for name, value in (("HW_ACCESS_KEY", EMBEDDED_AK), ("HW_SECRET_KEY", EMBEDDED_SK),
                        ("HW_PROJECT_ID", EMBEDDED_PROJECT_ID)):
        monkeypatch.setenv(name, value)
    runs, page_size = 300, 40
    root = tmp_path / "big"
    (root / "templates").mkdir(parents=True)
    template = ("version: genecontainer_0_1\ninputs:\n  sample: {type: string, default: S}\n"
                "workflow:\n  align:\n    tool: bwa:0.7.12\n    commands: ['echo ${sample}']\n")
    (root / "templates" / "align.yaml").write_text(template)
    (root / "stack.yaml").write_text(
        f"apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {{name: big}}\nspec:\n"
        f"  endpoint: {emulator.url}\n  pageSize: {page_size}\n")
    (root / "align.yaml").write_text(
        "apiVersion: gcsapply/v1\nkind: Workflow\nmetadata: {name: align}\n"
        "spec: {template: templates/align.yaml}\n---\n"
        "apiVersion: gcsapply/v1\nkind: ExecutionSet\nmetadata: {name: cohort}\nspec:\n"
        "  samples: samples.csv\n  key: sample\n  template:\n    workflow: align\n"
        "    sfsPvcName: gene-sfs\n    inputs: {sample: '{{ sample.sample }}'}\n")
    samples = [f"S{i:04d}" for i in range(runs)]
    (root / "samples.csv").write_text("sample\n" + "\n".join(samples) + "\n")
    wf = load_stack(root).desired.workflows["workflow/align"]
    groups = []
    for sample in samples:
        key = run_key("align", {"sample": sample})
        name = f"{member_name('cohort', sample)}-{key[:8]}"
        if not name[-1].isdigit():  # the seed API names runs <prefix><i>: launch the rest
            continue
        groups.append({"count": 1, "workflow": wf.gcs_name, "name_prefix": name[:-1],
                       "start_index": int(name[-1]), "inputs": {"sample": sample},
                       "labels": {LABEL_STACK: "big", LABEL_KEY: f"v1-{key[:40]}"}})
    http = requests.Session()
    http.auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=emulator.clock)
    seeded = http.post(f"{emulator.url}/_emulator/seed", timeout=30, json={
        "workflows": [{"name": wf.gcs_name, "template": template}], "executions": groups})
    assert seeded.status_code == 201, seeded.text
    emulator.reset_stats()
    code, out, err = _plan(capsys, root, "--json")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert (summary["create"], summary["noop"]) == (runs - len(groups), len(groups) + 1)
    stats = {k: v for k, v in emulator.stats().items() if v}
    assert set(stats) == LIST_CALLS
    assert sum(stats.values()) <= math.ceil(runs / page_size) + 10


@pytest.mark.parametrize("name,content", [
    ("state.json", b"\xff\xfe garbage"),
    ("state.json", b'{"format_version": "1.0", "resources": {"execution/x": 1}}'),
    ("journal.jsonl", b'{"phase": "begin", "id": "a"}\n7\n{"phase": "end", "id": "a"}\n'),
    ("journal.jsonl", b'\xff\n{"phase": "end", "id": "a"}\n'),
])
def test_damaged_state_or_journal_is_a_clear_error_not_a_traceback(stack_dir, capsys, name,
                                                                     content):
    (stack_dir / ".gcsapply").mkdir(exist_ok=True)
    (stack_dir / ".gcsapply" / name).write_bytes(content)
    code, out, err = _plan(capsys, stack_dir)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {stack_dir / '.gcsapply' / name}: ")
    assert "internal error" not in err and "Traceback" not in err


def test_a_journal_whose_last_line_was_cut_by_a_crash_is_tolerated(stack_dir, capsys):
    (stack_dir / ".gcsapply").mkdir(exist_ok=True)
    (stack_dir / ".gcsapply" / "journal.jsonl").write_text(
        '{"phase": "begin", "id": "op-1", "address": "execution/na12878"}\n{"phase": "end", "id')
    code, out, err = _plan(capsys, stack_dir)
    assert code == 0 and out.rstrip().endswith("to forget.")
    assert "1 journal entry of unknown outcome (execution/na12878)" in err


@pytest.mark.parametrize("where", ["missing-dir/plan.json", "."])
def test_a_plan_that_cannot_be_saved_with_out_is_an_error_printing_no_plan(stack_dir, capsys,
                                                                             tmp_path, where):
    out_path = tmp_path / where
    code, out, err = _plan(capsys, stack_dir, "--json", "--out", out_path)
    assert code == 1 and out == ""
    assert err.startswith(f"error: cannot write the plan to {out_path}: ")
    assert "internal error" not in err


def test_plan_warns_about_a_lock_file_damaged_with_bytes_that_are_not_utf8(stack_dir, capsys):
    (stack_dir / ".gcsapply").mkdir(exist_ok=True)
    (stack_dir / ".gcsapply" / "state.lock").write_bytes(b"\xff\xfe")
    code, out, err = _plan(capsys, stack_dir)
    assert code == 0 and out.rstrip().endswith("to forget.")
    assert "warning: the state is locked by" in err and "internal error" not in err
