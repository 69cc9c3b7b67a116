"""Ownership through the CLI (DESIGN §3): one stack never touches another's runs.

Two stack directories named ``prod`` (no Stack manifest, so both stacks are named ``prod``) talk
to ONE emulator database, so they share one project, the way two teams share a GCS project.
"""

from __future__ import annotations

import contextlib
import json
import textwrap

import pytest
from apply_harness import ECHO_TEMPLATE, Gcs

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.manifest.model import LABEL_LINEAGE
from gcsapply.render.plan_text import mask

WORKFLOW = """\
apiVersion: gcsapply/v1
kind: Workflow
metadata: {name: hello}
spec: {template: templates/hello.yaml}
"""


def sample1(sample: str, policy: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: gcsapply/v1
        kind: Execution
        metadata: {{name: sample1}}
        spec:
          workflow: hello
          inputs: {{sample: {sample}}}
          environment: default-cci
          namespace: gene
          sfsPvcName: gene-sfs-01
          deletionPolicy: {policy}
        """)


class SharedGcs(Gcs):
    """Every command, whatever its stack directory, reaches the same emulator database."""

    def __init__(self, root, shared_db, monkeypatch, capsys, **options):
        self.shared_db = shared_db
        super().__init__(root, monkeypatch, capsys, **options)

    def start_emulator(self, db_path):
        return super().start_emulator(self.shared_db)

    @contextlib.contextmanager
    def shared_api(self):
        server = EmulatorServer(self.shared_db, clock=self.clock, **self.options).start()
        auth = AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID, clock=self.clock)
        session = GcsSession(server.url, auth, reads_per_minute=0, writes_per_minute=0,
                             clock=self.clock)
        try:
            yield GcsApi(session)
        finally:
            session.close()
            server.stop()


def _stack(root, files: dict):
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _state(root) -> dict:
    return json.loads((root / ".gcsapply" / "state.json").read_text())


@pytest.fixture
def teams(tmp_path, monkeypatch, capsys):
    gcs = SharedGcs(tmp_path / "team-a" / "prod", tmp_path / "project.sqlite", monkeypatch,
                    capsys)
    base = {"workflows.yaml": WORKFLOW, "templates/hello.yaml": ECHO_TEMPLATE}
    team_a = _stack(tmp_path / "team-a" / "prod", {**base, "sample1.yaml": sample1("ALPHA",
                                                                                   "retain")})
    team_b = _stack(tmp_path / "team-b" / "prod", {**base, "sample1.yaml": sample1("BRAVO",
                                                                                   "delete")})
    return gcs, team_a, team_b


def test_a_second_stack_of_the_same_name_never_adopts_or_deletes_the_first_ones_run(teams):
    gcs, team_a, team_b = teams
    applied = gcs.run("apply", team_a, "--auto-approve")
    assert applied.code == 0, applied.err
    lineage_a = _state(team_a)["lineage"]
    alpha_id = _state(team_a)["resources"]["execution/sample1"]["gcs_id"]

    planned = gcs.run("plan", team_b)
    assert planned.code == 0, planned.err
    # text masks phone-like numbers: a lineage whose first 8 characters are digits is masked
    warning = mask(f"  stack/prod: foreign-run: another stack named prod, lineage {lineage_a[:8]}, "
                   "has 1 run in this project; rename one of the stacks\n")
    assert warning in planned.out
    assert "# execution/sample1 will be created\n  reason: new\n" in planned.out
    assert alpha_id not in planned.out
    assert planned.out.endswith("Plan: 1 to create, 0 to update, 0 to replace, 0 to retry, "
                                "0 to cancel, 0 to delete, 0 to forget.\n")

    applied = gcs.run("apply", team_b, "--auto-approve")
    assert applied.code == 0, applied.err
    assert warning in applied.out
    state_b = _state(team_b)
    assert state_b["lineage"] != lineage_a
    assert alpha_id not in json.dumps(state_b)
    bravo_id = state_b["resources"]["execution/sample1"]["gcs_id"]

    (team_b / "sample1.yaml").unlink()
    applied = gcs.run("apply", team_b, "--auto-approve")
    assert applied.code == 0, applied.err
    assert "# execution/sample1 will be deleted\n  reason: removed-from-manifests\n" \
           "  - sample1-" in applied.out
    assert f"({bravo_id}), status" in applied.out
    assert alpha_id not in applied.out.replace(warning, "")
    with gcs.shared_api() as api:
        alpha = api.get_execution(alpha_id)["execution"]
        bravo = api.get_execution(bravo_id)["execution"] \
            if any(i["execution"]["guid"] == bravo_id for i in api.list_executions()) else None
    assert alpha["status"] not in ("Deleting", None)
    assert alpha["label"][LABEL_LINEAGE] == lineage_a
    assert bravo is None or bravo["status"] == "Deleting"
    assert "execution/sample1" not in _state(team_b)["resources"]
    assert _state(team_a)["resources"]["execution/sample1"]["gcs_id"] == alpha_id


def test_the_first_apply_labels_its_runs_with_the_lineage_it_writes_to_state(teams):
    gcs, team_a, _ = teams
    assert gcs.run("apply", team_a, "--auto-approve").code == 0
    (team_a / "sample2.yaml").write_text(sample1("CHARLIE", "retain").replace(
        "name: sample1", "name: sample2"))
    assert gcs.run("apply", team_a, "--auto-approve").code == 0
    state = _state(team_a)
    with gcs.shared_api() as api:
        labels = sorted((i["execution"]["name"], i["execution"]["label"][LABEL_LINEAGE])
                        for i in api.list_executions())
    assert [lineage for _, lineage in labels] == [state["lineage"], state["lineage"]]
    assert [name.split("-")[0] for name, _ in labels] == ["sample1", "sample2"]


def _writes(server) -> dict:
    """The mutating calls one command's emulator answered."""
    return {call: n for call, n in server.stats().items() if not call.startswith("GET ")}


def test_a_lost_state_adopts_the_wanted_runs_launches_nothing_and_leaves_a_superseded_run(teams):
    gcs, team_a, _ = teams
    (team_a / "sample2.yaml").write_text(sample1("CHARLIE", "retain").replace(
        "name: sample1", "name: sample2"))
    assert gcs.run("apply", team_a, "--auto-approve").code == 0
    (team_a / "sample1.yaml").write_text(sample1("ALPHA2", "retain"))
    assert gcs.run("apply", team_a, "--auto-approve").code == 0
    before = _state(team_a)
    (old,) = before["resources"]["execution/sample1"]["superseded"]
    wanted = {address: before["resources"][address]["gcs_id"]
              for address in ("execution/sample1", "execution/sample2")}
    (team_a / ".gcsapply" / "state.json").unlink()
    (team_a / ".gcsapply" / "journal.jsonl").unlink(missing_ok=True)

    planned = gcs.run("plan", team_a, "--detailed-exitcode")
    assert planned.code == 0, planned.err
    assert planned.out.endswith(mask(
        "Warnings:\n"
        f"  stack/prod: foreign-run: another stack named prod, lineage {before['lineage'][:8]}, "
        "has 1 run in this project; rename one of the stacks\n\n3 unchanged.\nNo changes.\n"))

    applied = gcs.run("apply", team_a, "--auto-approve")
    assert applied.code == 0, applied.err
    assert _writes(gcs.servers[-1]) == {}
    after = _state(team_a)
    assert {address: after["resources"][address]["gcs_id"] for address in wanted} == wanted
    assert after["resources"]["execution/sample1"]["superseded"] == []
    assert old["gcs_id"] not in json.dumps(after)
    assert after["lineage"] != before["lineage"]


@pytest.fixture
def any_names(tmp_path, monkeypatch, capsys):
    """One stack on an emulator that allows duplicate execution names."""
    gcs = SharedGcs(tmp_path / "prod", tmp_path / "project.sqlite", monkeypatch, capsys,
                    execution_names="any")
    root = _stack(tmp_path / "prod", {"workflows.yaml": WORKFLOW,
                                      "templates/hello.yaml": ECHO_TEMPLATE,
                                      "sample1.yaml": sample1("ALPHA", "delete")})
    return gcs, root


def _launch_twin(gcs) -> tuple[str, str]:
    """A second run with the first one's name and labels (what a re-sent create leaves)."""
    with gcs.shared_api() as api:
        (item,) = api.list_executions()
        first = item["execution"]
        gcs.clock.advance(1)
        twin = api.create_execution({
            "name": first["name"], "workflow_id": first["workflow_id"],
            "sfs_pvc_name": "gene-sfs-01", "namespace": "gene", "label": first["label"]})
    return first["guid"], twin


def test_runs_sharing_a_name_and_our_labels_are_duplicate_run_drift_and_apply_changes_nothing(
        any_names):
    gcs, root = any_names
    assert gcs.run("apply", root, "--auto-approve").code == 0
    first, twin = _launch_twin(gcs)
    name = _state(root)["resources"]["execution/sample1"]["gcs_name"]

    planned = gcs.run("plan", root, "--detailed-exitcode")
    assert planned.code == 0, planned.err
    assert (f"Drift (changed outside gcsapply):\n  execution/sample1: duplicate-run: 2 runs are "
            f"named {name} with this stack's labels: {first}, {twin}; plan follows {first} and "
            f"leaves {twin} alone (launched twice outside this plan: delete the extra run in GCS "
            "if it is not wanted)\n") in planned.out
    assert planned.out.endswith("\n2 unchanged.\nNo changes.\n")
    document = json.loads(gcs.run("plan", root, "--json").out)
    assert [(d["address"], d["observation"]) for d in document["drift"]] == [
        ("execution/sample1", "duplicate-run")]

    applied = gcs.run("apply", root, "--auto-approve")
    assert applied.code == 0, applied.err
    assert _writes(gcs.servers[-1]) == {}
    assert _state(root)["resources"]["execution/sample1"]["gcs_id"] == first


def test_a_lost_state_with_duplicate_runs_adopts_the_oldest_and_launches_nothing(any_names):
    gcs, root = any_names
    assert gcs.run("apply", root, "--auto-approve").code == 0
    first, twin = _launch_twin(gcs)
    (root / ".gcsapply" / "state.json").unlink()
    (root / ".gcsapply" / "journal.jsonl").unlink(missing_ok=True)
    applied = gcs.run("apply", root, "--auto-approve")
    assert applied.code == 0, applied.err
    assert "execution/sample1: duplicate-run: 2 runs are named" in applied.out
    assert _writes(gcs.servers[-1]) == {}
    assert _state(root)["resources"]["execution/sample1"]["gcs_id"] == first
    with gcs.shared_api() as api:
        assert sorted(i["execution"]["guid"] for i in api.list_executions()) == sorted(
            [first, twin])
