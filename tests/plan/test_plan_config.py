"""Endpoint, region, project and credentials (DESIGN §6), without a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gcsapply.config import resolve_credentials, resolve_project_id, resolve_region
from gcsapply.errors import ConfigError
from gcsapply.manifest.model import StackSpec
from gcsapply.workspace import open_target, work_dir

SECRET = "SENTINEL-SECRET-0123456789"


def _stack(tmp_path: Path, **overrides) -> StackSpec:
    return replace(StackSpec(name="genomics-prod", root=tmp_path), **overrides)


def test_terraform_provider_names_win_and_the_security_token_is_optional():
    creds = resolve_credentials({"HW_ACCESS_KEY": "AK1", "HW_SECRET_KEY": SECRET,
                                 "HW_SECURITY_TOKEN": "tok"})
    assert (creds.kind, creds.access_key, creds.source) == ("aksk", "AK1",
                                                            "HW_ACCESS_KEY/HW_SECRET_KEY")
    assert SECRET not in repr(creds) and "tok" not in repr(creds)


def test_huawei_sdk_names_are_used_when_the_provider_names_are_absent():
    creds = resolve_credentials({"HUAWEICLOUD_SDK_AK": "AK2", "HUAWEICLOUD_SDK_SK": SECRET})
    assert (creds.access_key, creds.source) == ("AK2", "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK")


def test_two_families_that_agree_are_fine():
    env = {"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET, "HUAWEICLOUD_SDK_AK": "AK",
           "HUAWEICLOUD_SDK_SK": SECRET}
    assert resolve_credentials(env).access_key == "AK"


def test_two_families_that_disagree_are_an_error_naming_variables_not_values():
    env = {"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET, "HUAWEICLOUD_SDK_AK": "OTHER",
           "HUAWEICLOUD_SDK_SK": SECRET}
    with pytest.raises(ConfigError) as caught:
        resolve_credentials(env)
    assert "HW_ACCESS_KEY/HW_SECRET_KEY and HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK disagree" \
        in caught.value.message
    assert SECRET not in caught.value.render() and "OTHER" not in caught.value.render()


@pytest.mark.parametrize("env,message", [
    ({"HW_ACCESS_KEY": "AK"}, "HW_ACCESS_KEY is set but HW_SECRET_KEY is not"),
    ({"HW_SECRET_KEY": SECRET}, "HW_SECRET_KEY is set but HW_ACCESS_KEY is not"),
    ({"HUAWEICLOUD_SDK_SK": SECRET}, "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not"),
    ({"HW_USER_NAME": "u", "HW_USER_PASSWORD": SECRET},
     "token authentication needs HW_DOMAIN_NAME as well"),
], ids=["ak-without-sk", "sk-without-ak", "sdk-sk-without-ak", "user-without-domain"])
def test_half_a_credential_is_an_error_naming_the_missing_variable(env, message):
    with pytest.raises(ConfigError) as caught:
        resolve_credentials(env)
    assert caught.value.message == message
    assert SECRET not in caught.value.render()


def test_user_password_and_domain_give_token_authentication():
    creds = resolve_credentials({"HW_USER_NAME": "u", "HW_USER_PASSWORD": SECRET,
                                 "HW_DOMAIN_NAME": "d"})
    assert (creds.kind, creds.user, creds.domain) == ("password", "u", "d")
    assert SECRET not in repr(creds)


def test_no_credentials_at_all_is_none():
    assert resolve_credentials({}) is None


def test_region_precedence_is_manifest_then_environment_then_default(tmp_path):
    assert resolve_region(_stack(tmp_path, region="cn-east-2"),
                          {"HW_REGION_NAME": "cn-north-1"}) == "cn-east-2"
    assert resolve_region(_stack(tmp_path), {"HW_REGION_NAME": "cn-north-1"}) == "cn-north-1"
    assert resolve_region(_stack(tmp_path), {}) == "cn-north-4"


def test_project_precedence_is_manifest_then_hw_then_sdk_variable(tmp_path):
    env = {"HW_PROJECT_ID": "p-hw", "HUAWEICLOUD_SDK_PROJECT_ID": "p-sdk"}
    assert resolve_project_id(_stack(tmp_path, project_id="p-manifest"), env) == "p-manifest"
    assert resolve_project_id(_stack(tmp_path), env) == "p-hw"
    assert resolve_project_id(_stack(tmp_path), {"HUAWEICLOUD_SDK_PROJECT_ID": "p-sdk"}) == \
        "p-sdk"


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
