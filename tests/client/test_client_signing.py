"""The SDK-HMAC-SHA256 signer matches reference §5.3 byte for byte (offline)."""

from __future__ import annotations

import pytest
import requests

from gcsapply.client import signing
from gcsapply.client.auth import AkSkAuth
from gcsapply.emulator import sigv
from gcsapply.emulator.errors import BadSdkDate, BadSignature

AK = "TESTAK0000EXAMPLE000"
SK = "TestSecretKey0000000000000000000EXAMPLE1"
PROJECT = "0123456789abcdef0123456789abcdef"
DATE = "20240102T030405Z"
HOST = "gcs.cn-north-4.myhuaweicloud.com"
STD_SIGNED = ["content-type", "host", "x-project-id", "x-sdk-date"]

VECTOR1_CANONICAL = (
    "GET\n"
    "/v1/executions/\n"
    "limit=10&offset=0&status=Running\n"
    "content-type:application/json\n"
    f"host:{HOST}\n"
    f"x-project-id:{PROJECT}\n"
    f"x-sdk-date:{DATE}\n"
    "\n"
    "content-type;host;x-project-id;x-sdk-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)
VECTOR4_CANONICAL = (
    "POST\n"
    "/v1/workflows/\n"
    "\n"
    "content-type:multipart/form-data; boundary=BOUNDARY\n"
    f"host:{HOST}\n"
    f"x-project-id:{PROJECT}\n"
    "x-sdk-content-sha256:UNSIGNED-PAYLOAD\n"
    f"x-sdk-date:{DATE}\n"
    "\n"
    "content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date\n"
    "UNSIGNED-PAYLOAD"
)
VECTOR2_BODY = (b'{"name":"exec-demo-1","workflow_id":"0e7196ae-fdbf-84e4-d751-28554dcd7572",'
                b'"sfs_pvc_name":"gene-sfs-1111","target":"cci","namespace":"ns1"}')

# (name, method, path, query pairs in the caller's order, caller headers, body,
#  signed headers, string-to-sign hash line, signature)
GCS_VECTORS = [
    ("1 list executions", "GET", "/v1/executions",
     [("limit", "10"), ("offset", "0"), ("status", "Running")],
     {"Content-Type": "application/json"}, None, STD_SIGNED,
     "e3ef6386ab1bd3be4e867715cf1aa64d814ffd16bff092cd5312c3fb8ac89a9e",
     "9db443ecd7b495bcc39b3060c4ed0d588b5af49dc794016910a3d4f250b54ad5"),
    ("2 create execution", "POST", "/v1/executions", [],
     {"Content-Type": "application/json;charset=UTF-8"}, VECTOR2_BODY, STD_SIGNED,
     "2dc93422ce848ad2cfa7fb9acf3178ca1808977161f2c7a2eb1d9dd3664bd5d9",
     "9d29636765391bab81733701904a5f11b2290e6f2d486f71390d0f48a9a911fa"),
    ("3 cancel execution", "PUT", "/v1/executions/e19d3faf-9f04-9685-e5c0-fbe8d40b96cd", [],
     {"Content-Type": "application/json"}, b'{"action":"cancel"}', STD_SIGNED,
     "916ec30b20b00e2e203fccf5db21324d9106963f611b279c172801ad23c12330",
     "c6424c035d2c8b583762bdae8487106a731db7b86a4eebffc44317d5d2ae41fa"),
    ("4 multipart upload", "POST", "/v1/workflows", [],
     {"Content-Type": "multipart/form-data; boundary=BOUNDARY"}, b"--BOUNDARY\r\nanything\r\n",
     ["content-type", "host", "x-project-id", "x-sdk-content-sha256", "x-sdk-date"],
     "4562b8cbee530ccef2393b19221ac03618bf75cdd3f2fc4135119d22102fede4",
     "07a4a15e10263c5792eeab304b0a704f00688501530f709893dda495b5419a3d"),
    ("5 no content type, encoded query", "GET", "/v1/workflows",
     [("scope", "domain"), ("name", "gatk wf~1")], {}, None,
     ["host", "x-project-id", "x-sdk-date"],
     "fd3fd2880bde57672e028a66d24d5ede2c09f98c4b8818696c363923d533b677",
     "b5a1a594f4a5486daf9a3d7a60ec09cc4749fbe45fb9f3765fce50fa654b4cf0"),
    ("6 boolean query", "DELETE", "/v1/workflows/0e7196ae-fdbf-84e4-d751-28554dcd7572",
     [("del_workflow_package", True)], {"Content-Type": "application/json"}, None, STD_SIGNED,
     "27139ac52c884c6d1fbe2bf95bd53f11ada9f185482f37edd10cad7e1e70db82",
     "3a008e976b3caaa04d7216364f30e7d358fb9802e0ce429b4b194ba731a2915d"),
]
IDS = [v[0] for v in GCS_VECTORS]


def _pure_headers(caller_headers, body_unsigned):
    headers = dict(caller_headers, Host=HOST)
    headers["X-Project-Id"] = PROJECT
    headers["X-Sdk-Date"] = DATE
    if body_unsigned:
        headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD"
    return headers


def _prepared(method, path, query, headers, body):
    request = requests.Request(method, f"https://{HOST}{path}", headers=dict(headers, **{"X-Sdk-Date": DATE}),
                               data=body)
    prepared = requests.Session().prepare_request(request)
    if query:
        prepared.prepare_url(prepared.url + "?" + signing.encode_query(query), None)
    return prepared


def test_vector_0_from_the_huawei_signing_guide_gives_the_printed_signature():
    headers = {"Content-Type": "application/json", "Host": "service.region.example.com",
               "X-Sdk-Date": "20191115T033655Z"}
    canonical = signing.canonical_request(
        "GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
        [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")],
        headers, ["content-type", "host", "x-sdk-date"], signing.EMPTY_PAYLOAD_HASH)
    signature = signing.sign("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
                             signing.string_to_sign(canonical, "20191115T033655Z"))
    assert signature == "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"


def test_vector_0_through_akskauth_signs_content_type_host_and_date():
    auth = AkSkAuth("AKVECTOR0", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", None)
    request = requests.Request(
        "GET", "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
               "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        headers={"Content-Type": "application/json", "X-Sdk-Date": "20191115T033655Z"})
    signed = auth(requests.Session().prepare_request(request))
    assert signed.headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=AKVECTOR0, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe")


def test_vector_1_canonical_request_matches_the_reference_byte_for_byte():
    name, method, path, query, headers, body, signed, _, _ = GCS_VECTORS[0]
    canonical = signing.canonical_request(method, path, query, _pure_headers(headers, False), signed,
                                          signing.payload_hash(body))
    assert canonical == VECTOR1_CANONICAL


def test_vector_4_canonical_request_uses_unsigned_payload():
    name, method, path, query, headers, body, signed, _, _ = GCS_VECTORS[3]
    hdrs = _pure_headers(headers, True)
    canonical = signing.canonical_request(method, path, query, hdrs, signed,
                                          signing.request_payload_hash(hdrs, body, signed))
    assert canonical == VECTOR4_CANONICAL


@pytest.mark.parametrize("vector", GCS_VECTORS, ids=IDS)
def test_gcs_vectors_pure_functions_give_the_reference_hash_line_and_signature(vector):
    name, method, path, query, headers, body, signed, hash_line, signature = vector
    unsigned = signing.is_unsigned_content_type(headers.get("Content-Type"))
    hdrs = _pure_headers(headers, unsigned)
    assert signing.signed_header_names(hdrs) == signed
    canonical = signing.canonical_request(method, path, query, hdrs, signed,
                                          signing.request_payload_hash(hdrs, body, signed))
    sts = signing.string_to_sign(canonical, DATE)
    assert sts == f"SDK-HMAC-SHA256\n{DATE}\n{hash_line}"
    assert signing.sign(SK, sts) == signature


@pytest.mark.parametrize("vector", GCS_VECTORS, ids=IDS)
def test_gcs_vectors_akskauth_writes_the_reference_authorization_header(vector):
    name, method, path, query, headers, body, signed, _, signature = vector
    prepared = _prepared(method, path, query, headers, body)
    AkSkAuth(AK, SK, PROJECT)(prepared)
    assert prepared.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={';'.join(signed)}, Signature={signature}")
    assert prepared.headers["X-Project-Id"] == PROJECT
    assert prepared.headers["X-Sdk-Date"] == DATE


@pytest.mark.parametrize("vector", GCS_VECTORS, ids=IDS)
def test_gcs_vectors_verify_on_the_server_side_from_the_raw_request(vector):
    name, method, path, query, headers, body, _, _, _ = vector
    prepared = _prepared(method, path, query, headers, body)
    AkSkAuth(AK, SK, PROJECT)(prepared)
    url = requests.utils.urlparse(prepared.url)
    access = sigv.verify(method, url.path, url.query, dict(prepared.headers), prepared.body,
                         {AK: SK}.get, now=sigv.parse_sdk_date(DATE) + 60)
    assert access == AK


def test_vector_5_sends_the_query_sorted_with_percent_20_and_a_literal_tilde():
    assert signing.encode_query([("scope", "domain"), ("name", "gatk wf~1")]) == "name=gatk%20wf~1&scope=domain"


def test_vector_6_sends_a_python_boolean_as_lowercase_true():
    assert signing.encode_query([("del_workflow_package", True)]) == "del_workflow_package=true"


def test_canonical_query_keeps_empty_values_and_sorts_list_values():
    assert signing.canonical_query([("b", ["2", "1"]), ("F", ""), ("a", "x y")]) == "F=&a=x%20y&b=1&b=2"


def test_canonical_uri_encodes_each_segment_and_appends_a_slash():
    assert signing.canonical_uri("/v1/executions") == "/v1/executions/"
    assert signing.canonical_uri("/v1/a%20b/c~d/") == "/v1/a%20b/c~d/"


def test_the_emulators_verifier_refuses_what_we_signed_once_body_key_or_date_is_wrong():
    prepared = _prepared("PUT", "/v1/executions/x", [], {"Content-Type": "application/json"},
                         b'{"action":"cancel"}')
    AkSkAuth(AK, SK, PROJECT)(prepared)
    headers = dict(prepared.headers)
    now = sigv.parse_sdk_date(DATE)

    def verify(body=prepared.body, secrets=None, at=now):
        return sigv.verify("PUT", "/v1/executions/x", "", headers, body, (secrets or {AK: SK}).get, at)

    assert verify() == AK
    assert verify(at=now + 14 * 60) == AK
    with pytest.raises(BadSignature, match="signature does not match"):
        verify(body=b'{"action":"retry"}')
    with pytest.raises(BadSignature, match="signature does not match"):
        verify(secrets={AK: "other"})
    with pytest.raises(BadSignature, match="unknown access key"):
        verify(secrets={"someone-else": SK})
    with pytest.raises(BadSdkDate):
        verify(at=now + 16 * 60)


def test_akskauth_adds_a_date_security_token_and_never_shows_the_secret_in_repr():
    auth = AkSkAuth(AK, SK, PROJECT, security_token="tmp-token")
    prepared = requests.Session().prepare_request(requests.Request("GET", f"https://{HOST}/v1/tools"))
    auth(prepared)
    assert prepared.headers["X-Security-Token"] == "tmp-token"
    assert len(prepared.headers["X-Sdk-Date"]) == 16
    assert "x-security-token" in prepared.headers["Authorization"]
    assert SK not in repr(auth) and "tmp-token" not in repr(auth)


def test_sdk_dates_are_utc_basic_iso_8601():
    assert signing.format_sdk_date(sigv.parse_sdk_date(DATE)) == DATE


# Where huaweicloudsdkcore says more than the reference; each Authorization below is the one
# Huawei's signer writes for the same request (tests/client/test_client_signing_oracle.py checks
# a thousand random ones).

def _signed(method, path, headers, body=None, *, project=PROJECT):
    request = requests.Request(method, f"https://{HOST}{path}", headers=dict(headers, **{"X-Sdk-Date": DATE}),
                               data=body)
    return AkSkAuth(AK, SK, project)(requests.Session().prepare_request(request))


def test_an_empty_body_under_a_non_json_content_type_is_signed_with_the_empty_body_hash():
    signed = _signed("DELETE", "/v1/tools/t-1", {"Content-Type": "text/plain"})
    assert signed.headers["X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert signed.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date, "
        "Signature=c2cc2cf022c25677946e5c2bfbdede7ed1b6c4e73ea00b90a3b9e696cfed8ba6")
    assert sigv.verify("DELETE", "/v1/tools/t-1", "", dict(signed.headers), b"", {AK: SK}.get,
                       sigv.parse_sdk_date(DATE)) == AK


def test_the_payload_hash_of_an_empty_body_ignores_x_sdk_content_sha256_and_a_blank_one_counts_as_absent():
    declared = {"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}
    assert signing.request_payload_hash(declared, b"") == signing.EMPTY_PAYLOAD_HASH
    assert signing.request_payload_hash(declared, None) == signing.EMPTY_PAYLOAD_HASH
    assert signing.request_payload_hash(declared, b"x") == "UNSIGNED-PAYLOAD"
    assert signing.request_payload_hash({"X-Sdk-Content-Sha256": " "}, b"x") == signing.payload_hash(b"x")


def test_a_text_body_and_unicode_header_values_are_sent_as_utf8_trimmed_and_signed_as_text():
    signed = _signed("POST", "/v1/tools", {"Content-Type": "application/json;charset=UTF-8", "X-Note": "中文 é\u3000"},
                     '{"name":"é"}')
    assert signed.body == '{"name":"é"}'.encode("utf-8")
    assert signed.headers["Content-Length"] == "13"
    assert signed.headers["X-Note"] == "中文 é".encode("utf-8").decode("latin-1")
    assert signed.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-note;x-project-id;x-sdk-date, "
        "Signature=5e0f631f11eb4f695abdd40f12e8947bb7787ffa7941689d4caa8b3724f44e6a")


def test_only_a_header_spelt_content_type_and_not_starting_application_json_adds_unsigned_payload():
    assert "X-Sdk-Content-Sha256" not in _signed("POST", "/v1/tools", {"content-type": "text/plain"}, b"x").headers
    assert _signed("POST", "/v1/tools", {"Content-Type": "Application/JSON"}, b"{}").headers[
        "X-Sdk-Content-Sha256"] == "UNSIGNED-PAYLOAD"
    assert signing.is_unsigned_content_type("application/bson") is False
    assert signing.is_unsigned_content_type("APPLICATION/JSON") is True


def test_a_host_header_the_caller_set_is_kept_and_signed():
    signed = _signed("GET", "/v1/tools", {"Host": f"{HOST}:443"})
    assert signed.headers["Host"] == f"{HOST}:443"
    assert "SignedHeaders=host;x-project-id;x-sdk-date," in signed.headers["Authorization"]


def test_query_lists_are_sent_as_huaweis_signer_writes_them_booleans_in_a_list_as_python_writes_them():
    query = [("n", [10, 9]), ("g", True), ("f", [True, False])]
    assert signing.encode_query(query) == "f=False&f=True&g=true&n=9&n=10"
    assert query == [("n", [10, 9]), ("g", True), ("f", [True, False])]  # the caller's lists are left alone
    prepared = _prepared("GET", "/v1/tools", [("g", True), ("f", [True, False])], {}, None)
    AkSkAuth(AK, SK, PROJECT)(prepared)
    assert prepared.headers["Authorization"] == (
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-project-id;x-sdk-date, "
        "Signature=b79f99ee1072afbd4d61b50604d7f6b1a0b91ba02b968b9f32c2c6e2089a46d8")


def test_repeated_numbers_are_signed_in_the_order_a_verifier_sorts_the_strings_not_huaweis_numeric_order():
    # Huawei signs n=9&n=10 (it sorts the numbers), which a verifier sorting what it received
    # (n=10&n=9) refuses; the query string alone cannot say that 9 and 10 were numbers.
    prepared = _prepared("GET", "/v1/tools", [("n", [10, 9])], {}, None)
    AkSkAuth(AK, SK, PROJECT)(prepared)
    assert prepared.url.endswith("/v1/tools?n=9&n=10")
    assert sigv.verify("GET", "/v1/tools", "n=9&n=10", dict(prepared.headers), b"", {AK: SK}.get,
                       sigv.parse_sdk_date(DATE)) == AK


def test_a_malformed_x_sdk_date_on_the_request_is_refused_before_signing():
    request = requests.Request("GET", f"https://{HOST}/v1/tools", headers={"X-Sdk-Date": "2024-01-02"}).prepare()
    with pytest.raises(ValueError, match="X-Sdk-Date '2024-01-02' is not YYYYMMDDTHHMMSSZ"):
        AkSkAuth(AK, SK, PROJECT)(request)
    assert "Authorization" not in request.headers
