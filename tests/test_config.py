"""Endpoint, region, project and credentials (DESIGN §6), without a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gcsapply.config import resolve_credentials, resolve_endpoint, resolve_project_id, resolve_region
from gcsapply.errors import ConfigError
from gcsapply.manifest.model import StackSpec

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


def test_region_and_url_endpoints_resolve_their_gcs_and_iam_urls(tmp_path):
    region = resolve_endpoint(_stack(tmp_path, endpoint="region", region="cn-east-2"), {})
    assert (region.url, region.iam_url) == ("https://gcs.cn-east-2.myhuaweicloud.com",
                                            "https://iam.cn-east-2.myhuaweicloud.com/v3/auth/tokens")
    url = resolve_endpoint(_stack(tmp_path, endpoint="https://gcs.example.org/"), {})
    assert (url.url, url.iam_url, url.shown) == ("https://gcs.example.org",
                                                 "https://gcs.example.org/v3/auth/tokens",
                                                 "https://gcs.example.org")


def test_an_unknown_endpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown endpoint 'gcs.example.org'") as caught:
        resolve_endpoint(_stack(tmp_path, endpoint="gcs.example.org"), {})
    assert "embedded, region, or an https:// URL" in caught.value.hint
