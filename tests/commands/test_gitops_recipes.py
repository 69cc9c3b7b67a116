"""The README's CI recipes (examples/ci/), executed as written, on runners with no shared disk.

Each job's shell steps run with ``bash -e`` in a fresh checkout of the repository, with the
recipe's own environment (``${{ secrets.X }}``/``$X`` filled in with the emulator's key and
project id). The steps that talk to GitHub or GitLab (checkout, artifacts, the sticky comment,
``pip install``) are done by the test: a checkout is a copy without ``.gcsapply/``, an artifact
is a file handed from one runner's folder to another's. GCS is one served emulator and the
state lives in one bucket of a real S3-protocol server (moto).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from gitops import STACK_DIR, Repo, bash, execution, runner_env

from gcsapply import __version__
from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer

RECIPES = Path(__file__).resolve().parents[2] / "examples" / "ci"
README = Path(__file__).resolve().parents[2] / "README.md"
SECRETS = {"HW_PROJECT_ID": EMBEDDED_PROJECT_ID, "HW_ACCESS_KEY": EMBEDDED_AK,
           "HW_SECRET_KEY": EMBEDDED_SK, "HW_PLAN_ACCESS_KEY": EMBEDDED_AK,
           "HW_PLAN_SECRET_KEY": EMBEDDED_SK}


@pytest.fixture
def world(tmp_path, s3_bucket):
    url, bucket, client = s3_bucket
    emulator = EmulatorServer(tmp_path / "gcs.sqlite", job_seconds=0.001).start()
    repo = Repo(tmp_path / "repo", emulator.url, url, bucket)
    repo.write_stack(samples=6)
    try:
        yield repo, emulator, client
    finally:
        emulator.stop()


class Job:
    """A CI job's shell steps, run in order in its runner's folder; the first failure ends it."""

    env: dict[str, str]
    workdir: Path
    runs: list[str]

    def run(self):
        for command in self.runs:
            result = bash(command, cwd=self.workdir, env=self.env)
            if result.returncode != 0:
                return result
        return result


class GitHubJob(Job):
    """One job of examples/ci/github-actions.yml on its own runner."""

    def __init__(self, recipe: dict, name: str, workdir: Path):
        self.job = recipe["jobs"][name]
        self.env = runner_env(**{key: _github_value(value) for key, value in
                                 {**recipe["env"], **self.job.get("env", {})}.items()})
        self.workdir = workdir
        self.runs = [step["run"] for step in self.job["steps"] if "run" in step
                     and not step["run"].startswith("pip install")]



class GitLabJob(Job):
    """One job of examples/ci/gitlab-ci.yml: its ``gcsapply`` script lines (the others talk to
    GitLab's API and are done by the test)."""

    def __init__(self, recipe: dict, name: str, workdir: Path):
        job = recipe[name]
        variables = {**recipe["variables"], **job.get("variables", {})}
        self.env = runner_env(**{**SECRETS, **{key: _gitlab_value(value) for key, value in
                                               variables.items()}})
        self.workdir = workdir
        self.runs = [line for line in job["script"] if line.startswith("gcsapply ")]



def test_the_recipes_are_in_the_readme_word_for_word_and_pin_this_version():
    readme = README.read_text()
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (RECIPES / name).read_text()
        assert text in readme, f"README.md must show examples/ci/{name} as it is"
        assert f'"gcsapply[obs]=={__version__}"' in text


def test_github_actions_plan_on_the_pull_request_apply_the_reviewed_plan_on_merge(tmp_path, world):
    repo, emulator, _ = world
    recipe = yaml.safe_load((RECIPES / "github-actions.yml").read_text())

    # pull request 1: six runs. Its plan job runs on a runner of its own.
    plan_1 = GitHubJob(recipe, "plan", repo.checkout(tmp_path / "runner-plan-1"))
    result = plan_1.run()
    assert result.returncode == 0, result.stderr
    markdown = (plan_1.workdir / "plan.md").read_text()
    assert "execution/cohort-s005" in markdown and "create" in markdown
    reviewed = plan_1.workdir / "plan.json"
    assert str(tmp_path) not in reviewed.read_text()  # portable: no absolute path

    # merged: the apply job, on another runner, applies the artifact and waits for the runs
    apply_1 = GitHubJob(recipe, "apply", repo.checkout(tmp_path / "runner-apply-1"))
    _download(reviewed, apply_1.workdir)
    result = apply_1.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All 6 run(s) succeeded." in result.stdout
    assert _names(emulator) == _cohort(6)

    # the job is re-run (say its runner was lost while waiting): nothing is launched twice
    rerun = GitHubJob(recipe, "apply", repo.checkout(tmp_path / "runner-apply-1-again"))
    _download(reviewed, rerun.workdir)
    result = rerun.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes." in result.stdout and "All 6 run(s) succeeded." in result.stdout
    assert _names(emulator) == _cohort(6)


def test_a_reviewed_plan_applies_after_an_unrelated_change_and_is_refused_after_a_related_one(
        tmp_path, world):
    repo, emulator, _ = world
    recipe = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    first = GitHubJob(recipe, "apply", repo.checkout(tmp_path / "runner-0"))
    assert bash('gcsapply apply "$STACK" --auto-approve', cwd=first.workdir,
                env=first.env).returncode == 0
    assert _names(emulator) == _cohort(6)

    # PR 1 grows the cohort to 8 samples; its plan is made and reviewed on a runner
    repo.set_samples(8)
    plan_1 = GitHubJob(recipe, "plan", repo.checkout(tmp_path / "runner-plan-1"))
    assert plan_1.run().returncode == 0
    reviewed = plan_1.workdir / "plan.json"

    # PR 0, unrelated (a run of its own), is merged and applied first from another runner
    (repo.root / STACK_DIR / "other.yaml").write_text(execution("other", "x1"))
    merged_0 = repo.checkout(tmp_path / "runner-merge-0")
    (merged_0 / STACK_DIR / "samples.csv").write_text(
        "id\n" + "".join(f"s{i:03d}\n" for i in range(6)))  # PR 0 branched before PR 1
    apply_0 = GitHubJob(recipe, "apply", merged_0)
    assert bash('gcsapply apply "$STACK" --auto-approve', cwd=merged_0,
                env=apply_0.env).returncode == 0
    serial = _serial(repo)

    # PR 1 is merged: main now holds both; the apply job applies the reviewed plan
    apply_1 = GitHubJob(recipe, "apply", repo.checkout(tmp_path / "runner-apply-1"))
    _download(reviewed, apply_1.workdir)
    result = apply_1.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert _serial(repo) > serial
    assert _names(emulator) == _cohort(8) + Counter({"other": 1})

    # PR 2 (two more samples) is reviewed; then PR 3, merged first, changes the same runs
    repo.set_samples(10)
    plan_2 = GitHubJob(recipe, "plan", repo.checkout(tmp_path / "runner-plan-2"))
    assert plan_2.run().returncode == 0
    repo.set_samples(10, prefix="t")  # the related change: other samples in the same cohort
    apply_2 = GitHubJob(recipe, "apply", repo.checkout(tmp_path / "runner-apply-2"))
    _download(plan_2.workdir / "plan.json", apply_2.workdir)
    before = _names(emulator)
    result = apply_2.run()
    assert result.returncode == 1
    assert "execution/cohort-t000" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert _names(emulator) == before  # nothing launched


def test_a_broken_pull_request_gets_a_comment_that_says_why(tmp_path, world):
    repo, _, _ = world
    recipe = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    (repo.root / STACK_DIR / "broken.yaml").write_text(
        "apiVersion: gcsapply/v1\nkind: Execution\nmetadata: {name: broken}\nspec: {workflow: nope}\n")
    plan = GitHubJob(recipe, "plan", repo.checkout(tmp_path / "runner-plan"))
    result = plan.run()
    assert result.returncode == 1
    comment = (plan.workdir / "plan.md").read_text()
    assert "broken.yaml" in comment and "nope" in comment


def test_gitlab_ci_plan_on_the_merge_request_apply_the_reviewed_plan_on_the_default_branch(
        tmp_path, world):
    repo, emulator, _ = world
    recipe = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    plan = GitLabJob(recipe, "plan", repo.checkout(tmp_path / "runner-plan"))
    result = plan.run()
    assert result.returncode == 0, result.stderr
    assert "execution/cohort-s000" in (plan.workdir / "plan.md").read_text()
    apply = GitLabJob(recipe, "apply", repo.checkout(tmp_path / "runner-apply"))
    _download(plan.workdir / "plan.json", apply.workdir)
    result = apply.run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert _names(emulator) == _cohort(6)
    assert not (apply.workdir / STACK_DIR / ".gcsapply" / "state.json").exists()
    assert (apply.workdir / STACK_DIR / ".gcsapply" / ".gitignore").read_text() == "*\n"


def _download(artifact: Path, workdir: Path) -> None:
    (workdir / artifact.name).write_bytes(artifact.read_bytes())


def _names(emulator) -> Counter:
    session = GcsSession(emulator.url, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID),
                         reads_per_minute=0, writes_per_minute=0)
    try:
        names = [item["execution"]["name"] for item in GcsApi(session).list_executions()]
    finally:
        session.close()
    return Counter(re.sub(r"-[0-9a-f]{8}$", "", name) for name in names)


def _cohort(count: int, prefix: str = "s") -> Counter:
    return Counter({f"cohort-{prefix}{i:03d}": 1 for i in range(count)})


def _serial(repo: Repo) -> int:
    import boto3

    client = boto3.client("s3", endpoint_url=repo.s3_url, region_name="us-east-1")
    body = client.get_object(Bucket=repo.bucket, Key="gcsapply/prod/state.json")["Body"].read()
    return json.loads(body)["serial"]


def _github_value(value) -> str:
    return re.sub(r"\$\{\{\s*(?:secrets|vars)\.(\w+)\s*\}\}", lambda m: SECRETS[m.group(1)],
                  str(value))


def _gitlab_value(value) -> str:
    return re.sub(r"^\$(\w+)$", lambda m: SECRETS.get(m.group(1), m.group(0)), str(value))
