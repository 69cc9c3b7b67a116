"""Endpoint, region, project and credentials (DESIGN §6), without a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gcsapply.config import (
    Trust,
    check_trusted_target,
    endpoint_where,
    is_trusted_endpoint,
    resolve_credentials,
    resolve_endpoint,
    resolve_project_id,
    resolve_region,
    resolve_trust,
)
from gcsapply.errors import ConfigError
from gcsapply.manifest.model import Source, StackSpec
from gcsapply.state.backend import local_state_files

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


STACK_AT = Source("stack.yaml", 2, 1)
ENDPOINT_AT = Source("stack.yaml", 5, 13, "spec.endpoint")


def test_endpoint_errors_point_at_the_endpoint_line_of_the_stack_file(tmp_path):
    unknown = _stack(tmp_path, endpoint="gcs.example.org", source=STACK_AT,
                     endpoint_source=ENDPOINT_AT)
    with pytest.raises(ConfigError) as caught:
        resolve_endpoint(unknown, {})
    assert caught.value.where == "stack.yaml:5:13"
    untrusted = _stack(tmp_path, endpoint="https://gcs.example.org", source=STACK_AT,
                       endpoint_source=ENDPOINT_AT)
    with pytest.raises(ConfigError) as caught:
        check_trusted_target(untrusted, resolve_endpoint(untrusted, {}),
                             resolve_credentials(PASSWORD_ENV), PASSWORD_ENV)
    assert caught.value.where == "stack.yaml:5:13"
    assert endpoint_where(untrusted) == "stack.yaml:5:13"


def test_without_an_endpoint_position_errors_point_at_the_stack_or_nowhere(tmp_path):
    assert endpoint_where(_stack(tmp_path, source=STACK_AT)) == "stack.yaml:2:1"
    assert endpoint_where(_stack(tmp_path)) is None


def test_the_state_path_is_under_the_directory_given_as_the_stack_says(tmp_path):
    stack = _stack(tmp_path, state_path="manifests/.gcsapply/state.json",
                   work_dir="manifests/.gcsapply")
    assert local_state_files(stack)[0] == tmp_path / "manifests" / ".gcsapply" / "state.json"
    assert local_state_files(_stack(tmp_path))[0] == tmp_path / ".gcsapply" / "state.json"


# -- trust: which hosts may receive a password, an IAM token or a security token (§7b) -------

PASSWORD_ENV = {"HW_USER_NAME": "u", "HW_USER_PASSWORD": SECRET, "HW_DOMAIN_NAME": "d"}


@pytest.mark.parametrize("url", [
    "https://gcs.cn-north-4.myhuaweicloud.com",
    "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens",
    "https://iam.myhuaweicloud.com/v3/auth/tokens",
    "https://gcs.cn-north-4.huaweicloud.com/prefix",
    "https://gcs.cn-north-4.myhuaweicloud.com:443",
    "HTTPS://GCS.CN-NORTH-4.MYHUAWEICLOUD.COM",
    "https://gcs.cn-north-4.myhuaweicloud.com./",
    "embedded",
])
def test_huawei_cloud_domains_over_https_and_embedded_are_trusted(url):
    assert is_trusted_endpoint(url, {})


@pytest.mark.parametrize("url,reason", [
    ("https://myhuaweicloud.com.evil.org", "not a Huawei Cloud domain"),
    ("https://gcs.cn-north-4.myhuaweicloud.com.evil.org/", "not a Huawei Cloud domain"),
    ("https://evilmyhuaweicloud.com", "not a Huawei Cloud domain"),
    ("https://myhuaweicloud.com", "not a Huawei Cloud domain"),
    ("https://xn--myhuaweicloud-abc.com", "not a Huawei Cloud domain"),
    ("https://evil.org#.myhuaweicloud.com", "not a Huawei Cloud domain"),
    ("https://evil.org?.myhuaweicloud.com", "not a Huawei Cloud domain"),
    ("https://evil.org/.myhuaweicloud.com", "not a Huawei Cloud domain"),
    ("https://gcs.cn-north-4.myhuaweicloud.com@evil.org/", "holds a user name or password"),
    ("https://user:pw@gcs.cn-north-4.myhuaweicloud.com/", "holds a user name or password"),
    ("https://evil.org\\@gcs.cn-north-4.myhuaweicloud.com", "holds a user name or password"),
    ("https://evil.org\\.myhuaweicloud.com", "is not a plain name"),
    ("https://evil.org%2e.myhuaweicloud.com", "is not a plain name"),
    ("https://gcs.cn-north-4.myhuaweicloud.com\n.evil.org", "whitespace, control or non-ASCII"),
    ("https://gcs.cn-north-4.myhuawei\tcloud.com", "whitespace, control or non-ASCII"),
    ("https://gcs.cn-north-4.myhuaweicloud\u3002com", "whitespace, control or non-ASCII"),
    ("https://gcs.cn-north-4.myhu\u0430weicloud.com", "whitespace, control or non-ASCII"),
    ("https:gcs.cn-north-4.myhuaweicloud.com", "is not an http:// or https:// URL"),
    ("ftp://gcs.cn-north-4.myhuaweicloud.com", "is not an http:// or https:// URL"),
    ("https://gcs..myhuaweicloud.com", "malformed host name"),
    ("https://gcs.cn-north-4.myhuaweicloud.com:99999", "port outside 1-65535"),
    ("https://127.1", "numeric host that is not a dotted-quad IPv4 address"),
    ("http://gcs.cn-north-4.myhuaweicloud.com", "a Huawei Cloud domain, but over plain http"),
    ("https://gcs.cn-north-4.myhuaweicloud.com:8443", "a Huawei Cloud domain, but on port 8443"),
    ("https://evil.obs.cn-north-4.myhuaweicloud.com", "an OBS address"),
    ("https://evil.obs-website.cn-north-4.myhuaweicloud.com", "an OBS address"),
], ids=lambda value: repr(value)[:40])
def test_lookalike_and_ambiguous_hosts_are_never_trusted(url, reason):
    trust = resolve_trust(url, {})
    assert trust.trusted is False
    assert reason in trust.reason


def test_an_operator_listed_url_trusts_exactly_its_scheme_host_and_port():
    env = {"GCSAPPLY_TRUSTED_ENDPOINTS": "http://127.0.0.1:8080/ignored-path"}
    assert is_trusted_endpoint("http://127.0.0.1:8080", env)
    assert is_trusted_endpoint("http://127.0.0.1:8080/v3/auth/tokens", env)
    for other in ("http://127.0.0.1:8081", "https://127.0.0.1:8080", "http://localhost:8080",
                  "http://127.0.0.1", "http://127.0.0.2:8080"):
        assert not is_trusted_endpoint(other, env), other


def test_a_listed_url_without_a_port_means_the_schemes_default_port():
    env = {"GCSAPPLY_TRUSTED_ENDPOINTS": "https://gcs.internal.example.org"}
    assert is_trusted_endpoint("https://gcs.internal.example.org:443/x", env)
    assert not is_trusted_endpoint("https://gcs.internal.example.org:8443", env)


def test_a_host_pattern_trusts_https_on_any_port_of_exactly_that_host():
    env = {"GCSAPPLY_TRUSTED_ENDPOINTS": " GCS.Internal.Example.org. , other.example.net"}
    assert is_trusted_endpoint("https://gcs.internal.example.org", env)
    assert is_trusted_endpoint("https://gcs.internal.example.org:8443", env)
    assert is_trusted_endpoint("https://other.example.net", env)
    assert not is_trusted_endpoint("http://gcs.internal.example.org", env)
    assert not is_trusted_endpoint("https://a.gcs.internal.example.org", env)
    assert not is_trusted_endpoint("https://internal.example.org", env)


def test_a_wildcard_pattern_trusts_hosts_strictly_under_the_domain_at_a_dot_boundary():
    env = {"GCSAPPLY_TRUSTED_ENDPOINTS": "*.example.org"}
    assert is_trusted_endpoint("https://gcs.example.org", env)
    assert is_trusted_endpoint("https://a.b.example.org:9443", env)
    for lookalike in ("https://example.org", "https://evilexample.org",
                      "https://example.org.evil.net", "https://gcs.example.org@evil.net",
                      "http://gcs.example.org"):
        assert not is_trusted_endpoint(lookalike, env), lookalike


def test_a_listed_ipv6_address_is_compared_in_its_canonical_form():
    env = {"GCSAPPLY_TRUSTED_ENDPOINTS": "http://[0:0::1]:9000"}
    assert is_trusted_endpoint("http://[::1]:9000", env)
    assert not is_trusted_endpoint("http://[::2]:9000", env)


def test_a_listed_host_is_trusted_with_the_reason_shown():
    trust = resolve_trust("http://127.0.0.1:8080",
                          {"GCSAPPLY_TRUSTED_ENDPOINTS": "http://127.0.0.1:8080"})
    assert trust == Trust(True, "127.0.0.1:8080", "listed in GCSAPPLY_TRUSTED_ENDPOINTS")


@pytest.mark.parametrize("item,problem", [
    ("*", "item 1 ('*') would trust every host"),
    ("*.org", "item 1 ('*.org') needs a domain of two labels or more after '*.'"),
    ("*.127.0.0.1", "needs a domain of two labels or more"),
    ("gcs.example.org:8443", "item 1 ('gcs.example.org:8443') has a malformed host name"),
    ("ftp://gcs.example.org", "is not an http:// or https:// URL"),
    ("https://*.example.org", "has a host that is not a plain name"),
    (f"https://user:{SECRET}@gcs.example.org", "item 1 holds a user name or password"),
])
def test_a_malformed_trusted_endpoints_item_is_an_error_naming_the_variable(item, problem):
    with pytest.raises(ConfigError) as caught:
        resolve_trust("https://gcs.cn-north-4.myhuaweicloud.com",
                      {"GCSAPPLY_TRUSTED_ENDPOINTS": f"{item}"})
    assert caught.value.message.startswith("GCSAPPLY_TRUSTED_ENDPOINTS: ")
    assert problem in caught.value.message
    assert "host patterns" in caught.value.hint
    assert SECRET not in caught.value.render()


def test_a_password_is_refused_for_an_untrusted_url_naming_the_host_and_the_variable(tmp_path):
    stack = _stack(tmp_path, endpoint="http://127.0.0.1:8080",
                   source=Source("stack.yaml", 1, 1))
    endpoint = resolve_endpoint(stack, {})
    with pytest.raises(ConfigError) as caught:
        check_trusted_target(stack, endpoint, resolve_credentials(PASSWORD_ENV), PASSWORD_ENV)
    assert caught.value.render() == (
        "error: stack.yaml:1:1: spec.endpoint: will not send HW_USER_PASSWORD and the IAM token "
        "to 127.0.0.1:8080: not a Huawei Cloud domain, and not listed in "
        "GCSAPPLY_TRUSTED_ENDPOINTS\n"
        "  hint: a manifest cannot make a host trusted: if this endpoint is yours, list it in the "
        "environment (GCSAPPLY_TRUSTED_ENDPOINTS=http://127.0.0.1:8080), or sign with "
        "HW_ACCESS_KEY/HW_SECRET_KEY and no HW_SECURITY_TOKEN (a signature is bound to its host)")
    assert SECRET not in caught.value.render()


def test_a_security_token_is_refused_for_an_untrusted_url_but_plain_ak_sk_goes_anywhere(tmp_path):
    stack = _stack(tmp_path, endpoint="https://gcs.example.org")
    endpoint = resolve_endpoint(stack, {})
    plain = {"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": SECRET}
    check_trusted_target(stack, endpoint, resolve_credentials(plain), plain)
    temporary = {**plain, "HW_SECURITY_TOKEN": SECRET + "-token"}
    with pytest.raises(ConfigError) as caught:
        check_trusted_target(stack, endpoint, resolve_credentials(temporary), temporary)
    assert caught.value.message == ("spec.endpoint: will not send HW_SECURITY_TOKEN to "
                                    "gcs.example.org: not a Huawei Cloud domain, and not listed "
                                    "in GCSAPPLY_TRUSTED_ENDPOINTS")
    assert SECRET not in caught.value.render()


def test_a_region_endpoint_may_receive_a_password_and_a_listed_url_may_too(tmp_path):
    region = _stack(tmp_path, endpoint="region", region="cn-east-2")
    check_trusted_target(region, resolve_endpoint(region, {}), resolve_credentials(PASSWORD_ENV),
                         PASSWORD_ENV)
    url = _stack(tmp_path, endpoint="http://127.0.0.1:8080")
    env = {**PASSWORD_ENV, "GCSAPPLY_TRUSTED_ENDPOINTS": "http://127.0.0.1:8080"}
    check_trusted_target(url, resolve_endpoint(url, env), resolve_credentials(env), env)


def test_a_region_iam_url_built_from_an_odd_region_variable_is_not_trusted(tmp_path):
    stack = _stack(tmp_path, endpoint="region")
    env = {**PASSWORD_ENV, "HW_REGION_NAME": "evil.org#"}
    with pytest.raises(ConfigError, match="will not send HW_USER_PASSWORD and the IAM token to "
                                          "iam.evil.org: not a Huawei Cloud domain"):
        check_trusted_target(stack, resolve_endpoint(stack, env), resolve_credentials(env), env)


def test_an_endpoint_url_with_a_user_name_is_refused_without_echoing_it(tmp_path):
    stack = _stack(tmp_path, endpoint=f"https://user:{SECRET}@gcs.example.org")
    with pytest.raises(ConfigError) as caught:
        resolve_endpoint(stack, {})
    assert caught.value.message == "spec.endpoint: the URL holds a user name or password (user@host)"
    assert SECRET not in caught.value.render()
