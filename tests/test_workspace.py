"""Opening a stack's target (workspace.open_target): endpoints, credentials, the embedded
emulator, and the work directory it creates."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from gcsapply.errors import ConfigError, InputError, StateError
from gcsapply.manifest.model import StackSpec
from gcsapply.state.lock import StateLock
from gcsapply.workspace import open_target, open_workspace, work_dir

SECRET = "SENTINEL-SECRET-0123456789"


def _stack(tmp_path: Path, **overrides) -> StackSpec:
    return replace(StackSpec(name="genomics-prod", root=tmp_path), **overrides)


def test_a_url_endpoint_without_credentials_is_a_clear_error(tmp_path):
    stack = _stack(tmp_path, endpoint="https://gcs.example.org")
    with pytest.raises(ConfigError, match="no credentials for https://gcs.example.org") as caught:
        open_target(stack, environ={})
    assert "HW_ACCESS_KEY" in caught.value.hint


def test_ak_sk_without_a_project_id_is_a_clear_error(tmp_path):
    stack = _stack(tmp_path, endpoint="region")
    with pytest.raises(ConfigError, match="AK/SK signing needs a project id"):
        open_target(stack, environ={"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET})


def test_a_region_endpoint_targets_the_regions_gcs_url(tmp_path):
    stack = _stack(tmp_path, endpoint="region", region="cn-east-2", project_id="p1")
    with open_target(stack, environ={"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET}) as target:
        assert target.url == "https://gcs.cn-east-2.myhuaweicloud.com"
        assert target.binding.endpoint == target.url
        assert target.description == (
            "Target: region cn-east-2 (https://gcs.cn-east-2.myhuaweicloud.com), project p1, "
            "stack genomics-prod (AK/SK from HW_ACCESS_KEY/HW_SECRET_KEY)")


def test_the_work_directory_gets_its_own_gitignore(tmp_path):
    path = work_dir(_stack(tmp_path))
    assert (path / ".gitignore").read_text() == "*\n"


def test_embedded_ignores_credential_variables_and_uses_the_factory(tmp_path, emulator):
    seen = []

    def factory(db_path):
        seen.append(db_path)
        return emulator

    stack = _stack(tmp_path)
    target = open_target(stack, emulator_factory=factory,
                         environ={"HW_ACCESS_KEY": "half"})  # ignored: embedded needs none
    try:
        assert seen == [tmp_path / ".gcsapply" / "emulator.sqlite"]
        assert target.binding.endpoint == "embedded"
        assert target.description == ("Target: embedded emulator (.gcsapply/emulator.sqlite), "
                                      "project 0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, "
                                      "stack genomics-prod")
        assert list(target.api.list_environments())
    finally:
        target.session.close()  # the fixture owns the emulator


@pytest.mark.parametrize("endpoint,url", [
    ("region", "https://gcs.cn-north-4.myhuaweicloud.com"),
    ("https://gcs.example.org/", "https://gcs.example.org")])
def test_environment_variables_never_choose_the_clis_endpoint(tmp_path, endpoint, url):
    environ = {"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET, "HW_PROJECT_ID": "p1",
               "GCSAPPLY_ENDPOINT": "http://127.0.0.1:9", "HUAWEICLOUD_SDK_ENDPOINT":
               "http://127.0.0.1:9", "HW_ENDPOINT": "http://127.0.0.1:9"}
    with open_target(_stack(tmp_path, endpoint=endpoint), environ=environ) as target:
        assert (target.url, target.binding.endpoint) == (url, url)


TOKEN_ENV = {"HW_USER_NAME": "u", "HW_USER_PASSWORD": SECRET, "HW_DOMAIN_NAME": "d"}


def test_token_auth_to_a_region_endpoint_is_trusted_and_fetches_no_token_until_used(tmp_path):
    stack = _stack(tmp_path, endpoint="region", region="cn-east-2", project_id="p1")
    with open_target(stack, environ=TOKEN_ENV) as target:
        assert target.session.auth.iam_url == \
            "https://iam.cn-east-2.myhuaweicloud.com/v3/auth/tokens"
        assert target.session.auth.fetches == 0
        assert target.description == (
            "Target: region cn-east-2 (https://gcs.cn-east-2.myhuaweicloud.com), project p1, "
            "stack genomics-prod (IAM token from HW_USER_NAME/HW_USER_PASSWORD/HW_DOMAIN_NAME)")
        assert SECRET not in target.description + repr(target.session)


def test_open_target_refuses_a_password_for_an_untrusted_url_naming_the_variable(tmp_path):
    stack = _stack(tmp_path, endpoint="https://gcs.example.org")
    with pytest.raises(ConfigError) as caught:
        open_target(stack, environ=TOKEN_ENV)
    assert caught.value.message == (
        "spec.endpoint: will not send HW_USER_PASSWORD and the IAM token to gcs.example.org: "
        "not a Huawei Cloud domain, and not listed in GCSAPPLY_TRUSTED_ENDPOINTS")
    assert "GCSAPPLY_TRUSTED_ENDPOINTS=https://gcs.example.org" in caught.value.hint
    assert SECRET not in caught.value.render()


def test_the_trust_check_comes_before_the_lock_so_a_refused_apply_leaves_no_trace(tmp_path):
    (tmp_path / "stack.yaml").write_text(
        "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: prstack}\n"
        "spec: {endpoint: 'https://gcs.example.org'}\n")
    with pytest.raises(ConfigError, match="will not send HW_USER_PASSWORD"):
        open_workspace(tmp_path, allow_empty=True, lock_command="apply", environ=TOKEN_ENV)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stack.yaml"]


def test_a_listed_url_endpoint_may_receive_a_password(tmp_path):
    stack = _stack(tmp_path, endpoint="https://gcs.example.org", project_id="p1")
    environ = {**TOKEN_ENV, "GCSAPPLY_TRUSTED_ENDPOINTS": "*.example.org"}
    with open_target(stack, environ=environ) as target:
        assert target.url == "https://gcs.example.org"
        assert target.session.auth.fetches == 0


@pytest.mark.parametrize("name,message", [
    ("state.json", "state file '.gcsapply/state.json' is a symbolic link that leads outside the stack directory"),
    ("journal.jsonl", "journal.jsonl is a symbolic link; gcsapply writes it itself and never follows a link there"),
    ("state.lock", "state.lock is a symbolic link; gcsapply writes it itself and never follows a link there")])
def test_a_state_file_that_is_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path, name, message, capsys):
    from gcsapply import cli

    stack = tmp_path / "stack"
    (stack / ".gcsapply").mkdir(parents=True)
    (stack / "stack.yaml").write_text("apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: linked}\nspec: {}\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("SENTINEL-SECRET-0123456789\n")
    (stack / ".gcsapply" / name).symlink_to(outside)
    for command in (["plan", str(stack)], ["apply", str(stack), "--auto-approve"], ["state", "list", str(stack)]):
        assert cli.main(command) == 1
        out, err = capsys.readouterr()
        assert message in err
        assert SECRET not in out + err
    assert outside.read_text() == "SENTINEL-SECRET-0123456789\n"


def test_the_work_directory_is_the_one_beside_the_stack_manifest(tmp_path, emulator):
    seen = []

    def factory(db_path):
        seen.append(db_path)
        return emulator

    stack = _stack(tmp_path, work_dir="manifests/.gcsapply",
                   state_path="manifests/.gcsapply/state.json")
    target = open_target(stack, emulator_factory=factory)
    try:
        assert seen == [tmp_path / "manifests" / ".gcsapply" / "emulator.sqlite"]
        assert (tmp_path / "manifests" / ".gcsapply" / ".gitignore").read_text() == "*\n"
        assert target.description.startswith(
            "Target: embedded emulator (manifests/.gcsapply/emulator.sqlite), project ")
    finally:
        target.session.close()  # the fixture owns the emulator
    assert not (tmp_path / ".gcsapply").exists()


@pytest.mark.parametrize("lock_command", [None, "destroy"])
def test_a_tree_with_no_manifests_and_nothing_in_its_state_is_refused_and_left_as_it_was(
        tmp_path, lock_command):
    state = tmp_path / ".gcsapply"
    state.mkdir()
    (state / "journal.jsonl").write_text("")
    with pytest.raises(InputError) as caught:
        open_workspace(tmp_path, allow_empty=True, lock_command=lock_command)
    assert [d.message for d in caught.value.diagnostics] == [f"no manifests found under {tmp_path}"]
    assert sorted(p.name for p in state.iterdir()) == ["journal.jsonl"]  # the lock is released


def test_a_tree_with_no_manifests_opens_while_its_state_is_locked_so_it_can_be_unlocked(tmp_path):
    lock = StateLock(tmp_path / ".gcsapply" / "state.lock", "apply")
    lock.acquire()
    try:
        with open_workspace(tmp_path, allow_empty=True, connect=False) as workspace:
            assert workspace.state.resources == {}
            assert workspace.notes[0].startswith("warning: the state is locked by ")
    finally:
        lock.release()


def test_every_backend_and_endpoint_gets_a_gitignore_when_apply_takes_the_lock(tmp_path):
    """``git add -A`` after an apply against a real endpoint must not stage the state."""
    (tmp_path / "stack.yaml").write_text(
        "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: s}\n"
        "spec: {endpoint: 'https://gcs.cn-north-4.myhuaweicloud.com'}\n")
    with open_workspace(tmp_path, allow_empty=True, connect=False, lock_command="gcsapply state push"):
        assert (tmp_path / ".gcsapply" / ".gitignore").read_text() == "*\n"
    assert not (tmp_path / ".gcsapply" / "state.lock").exists()


def test_a_journal_link_is_refused_for_a_remote_state_too(tmp_path):
    (tmp_path / ".gcsapply").mkdir()
    os.symlink("/etc/hostname", tmp_path / ".gcsapply" / "journal.jsonl")
    (tmp_path / "stack.yaml").write_text(
        "apiVersion: gcsapply/v1\nkind: Stack\nmetadata: {name: s}\n"
        "spec: {state: {backend: s3, bucket: team-state, endpoint: 'http://127.0.0.1:9', region: us-east-1}}\n")
    with pytest.raises(StateError, match="journal.jsonl is a symbolic link"):
        open_workspace(tmp_path, allow_empty=True, connect=False,
                       environ={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
