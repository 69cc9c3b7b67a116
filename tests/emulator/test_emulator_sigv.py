"""The emulator's own SDK-HMAC-SHA256 verifier against the signing test vectors of the reference
(gcs-rest-api.md §5.3): every canonical request, string to sign and signature byte for byte."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

from gcsapply.emulator import sigv
from gcsapply.emulator.errors import BadSdkDate, BadSignature

AK = "TESTAK0000EXAMPLE000"
SK = "TestSecretKey0000000000000000000EXAMPLE1"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
DATE = "20240102T030405Z"
HOST = "gcs.cn-north-4.myhuaweicloud.com"
SIGNED = ["content-type", "host", "x-project-id", "x-sdk-date"]


@dataclass(frozen=True)
class Vector:
    """A request as the emulator receives it, and what the reference says about it."""

    name: str
    method: str
    path: str
    raw_query: str
    headers: dict
    body: bytes
    signed: list
    hash_line: str  # the last line of the StringToSign: hex SHA-256 of the canonical request
    signature: str
    canonical: str | None = None  # where the reference prints the whole canonical request
    sk: str = SK
    date: str = DATE
    extra: dict = field(default_factory=dict)


def _gcs_headers(content_type: str | None = "application/json", **more) -> dict:
    headers = {"Host": HOST, "X-Project-Id": PROJECT_ID, "X-Sdk-Date": DATE, **more}
    return {"Content-Type": content_type, **headers} if content_type else headers


VECTORS = [
    Vector("1 list executions", "GET", "/v1/executions", "limit=10&offset=0&status=Running",
           _gcs_headers(), b"", SIGNED,
           "e3ef6386ab1bd3be4e867715cf1aa64d814ffd16bff092cd5312c3fb8ac89a9e",
           "9db443ecd7b495bcc39b3060c4ed0d588b5af49dc794016910a3d4f250b54ad5",
           canonical="GET\n/v1/executions/\nlimit=10&offset=0&status=Running\n"
                     "content-type:application/json\nhost:gcs.cn-north-4.myhuaweicloud.com\n"
                     "x-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240102T030405Z\n\n"
                     "content-type;host;x-project-id;x-sdk-date\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Vector("2 create execution", "POST", "/v1/executions", "",
           _gcs_headers("application/json;charset=UTF-8"),
           b'{"name":"exec-demo-1","workflow_id":"0e7196ae-fdbf-84e4-d751-28554dcd7572",'
           b'"sfs_pvc_name":"gene-sfs-1111","target":"cci","namespace":"ns1"}', SIGNED,
           "2dc93422ce848ad2cfa7fb9acf3178ca1808977161f2c7a2eb1d9dd3664bd5d9",
           "9d29636765391bab81733701904a5f11b2290e6f2d486f71390d0f48a9a911fa",
           extra={"body_sha256": "e4941b0a9663bf37306cac80a36be2d26c26756f7693eecc1163dc6faafd74bc",
                  "header_line": "content-type:application/json;charset=UTF-8"}),
    Vector("3 cancel execution", "PUT", "/v1/executions/e19d3faf-9f04-9685-e5c0-fbe8d40b96cd", "",
           _gcs_headers(), b'{"action":"cancel"}', SIGNED,
           "916ec30b20b00e2e203fccf5db21324d9106963f611b279c172801ad23c12330",
           "c6424c035d2c8b583762bdae8487106a731db7b86a4eebffc44317d5d2ae41fa",
           extra={"body_sha256": "35d446380cba0c55546af406cb0ffbb422654dc03e745421ca77267bc01343bc",
                  "uri_line": "/v1/executions/e19d3faf-9f04-9685-e5c0-fbe8d40b96cd/"}),
    Vector("4 multipart upload", "POST", "/v1/workflows", "",
           _gcs_headers("multipart/form-data; boundary=BOUNDARY",
                        **{"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}),
           b"--BOUNDARY\r\ncontent that the signature does not cover\r\n--BOUNDARY--\r\n",
           ["content-type", "host", "x-project-id", "x-sdk-content-sha256", "x-sdk-date"],
           "4562b8cbee530ccef2393b19221ac03618bf75cdd3f2fc4135119d22102fede4",
           "07a4a15e10263c5792eeab304b0a704f00688501530f709893dda495b5419a3d",
           canonical="POST\n/v1/workflows/\n\n"
                     "content-type:multipart/form-data; boundary=BOUNDARY\n"
                     "host:gcs.cn-north-4.myhuaweicloud.com\n"
                     "x-project-id:0123456789abcdef0123456789abcdef\n"
                     "x-sdk-content-sha256:UNSIGNED-PAYLOAD\nx-sdk-date:20240102T030405Z\n\n"
                     "content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date\n"
                     "UNSIGNED-PAYLOAD"),
    Vector("5 no content type, encoded query", "GET", "/v1/workflows", "name=gatk%20wf~1&scope=domain",
           _gcs_headers(None), b"", ["host", "x-project-id", "x-sdk-date"],
           "fd3fd2880bde57672e028a66d24d5ede2c09f98c4b8818696c363923d533b677",
           "b5a1a594f4a5486daf9a3d7a60ec09cc4749fbe45fb9f3765fce50fa654b4cf0",
           extra={"query_line": "name=gatk%20wf~1&scope=domain"}),
    Vector("6 boolean query value", "DELETE", "/v1/workflows/0e7196ae-fdbf-84e4-d751-28554dcd7572",
           "del_workflow_package=true", _gcs_headers(), b"", SIGNED,
           "27139ac52c884c6d1fbe2bf95bd53f11ada9f185482f37edd10cad7e1e70db82",
           "3a008e976b3caaa04d7216364f30e7d358fb9802e0ce429b4b194ba731a2915d",
           extra={"query_line": "del_workflow_package=true"}),
]
# Vector 0, Huawei's signing guide: its canonical request and StringToSign are not printed
GUIDE_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
GUIDE = dict(method="GET", path="/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
             raw_query="limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
             headers={"Content-Type": "application/json", "Host": "service.region.example.com",
                      "X-Sdk-Date": "20191115T033655Z"})


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_each_reference_vector_gives_the_same_canonical_request_string_to_sign_and_signature(vector):
    canonical = sigv.canonical_request(vector.method, vector.path, vector.raw_query, vector.headers,
                                       vector.signed, _payload_hash(vector))
    if vector.canonical is not None:
        assert canonical == vector.canonical
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == vector.hash_line
    lines = canonical.split("\n")
    assert lines[1] == vector.extra.get("uri_line", lines[1])
    assert lines[2] == vector.extra.get("query_line", lines[2])
    assert vector.extra.get("header_line", lines[3]) in lines
    assert lines[-1] == vector.extra.get("body_sha256", lines[-1])
    to_sign = sigv.string_to_sign(canonical, vector.date)
    assert to_sign == f"SDK-HMAC-SHA256\n{DATE}\n{vector.hash_line}"
    assert sigv.sign(vector.sk, to_sign) == vector.signature


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_each_reference_vector_verifies_as_a_received_request(vector):
    assert _verify(vector, _authorization(AK, vector.signed, vector.signature)) == AK


def test_the_signing_guide_example_signs_content_type_host_and_date():
    signed = ["content-type", "host", "x-sdk-date"]
    canonical = sigv.canonical_request(**GUIDE, signed_headers=signed,
                                       payload_hash=sigv.EMPTY_BODY_SHA256)
    assert sigv.sign(GUIDE_SK, sigv.string_to_sign(canonical, "20191115T033655Z")) == (
        "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe")
    host_and_date = sigv.canonical_request(**GUIDE, signed_headers=["host", "x-sdk-date"],
                                           payload_hash=sigv.EMPTY_BODY_SHA256)
    other = sigv.sign(GUIDE_SK, sigv.string_to_sign(host_and_date, "20191115T033655Z"))
    assert other.startswith("faafba09") and other.endswith("39a7")


@pytest.mark.parametrize("tamper", [
    lambda v: {"method": "DELETE" if v.method != "DELETE" else "GET"},
    lambda v: {"path": v.path + "x"},
    lambda v: {"raw_query": v.raw_query + "&extra=1"},
    lambda v: {"headers": {**v.headers, "X-Project-Id": "f" * 32}},
    lambda v: {"body": v.body + b" "} if "x-sdk-content-sha256" not in v.signed else {
        "headers": {**v.headers, "X-Sdk-Content-Sha256": "0" * 64}},
], ids=["method", "path", "query", "signed header", "payload"])
@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_changing_any_signed_part_of_a_vector_breaks_its_signature(vector, tamper):
    changed = {"method": vector.method, "path": vector.path, "raw_query": vector.raw_query,
               "headers": vector.headers, "body": vector.body, **tamper(vector)}
    headers = {**changed["headers"], "Authorization": _authorization(AK, vector.signed,
                                                                     vector.signature)}
    with pytest.raises(BadSignature, match="signature does not match"):
        sigv.verify(changed["method"], changed["path"], changed["raw_query"], headers,
                    changed["body"], _secret_for, sigv.parse_sdk_date(DATE))


def test_an_empty_body_declared_unsigned_payload_verifies_with_either_payload_hash():
    headers = _gcs_headers("text/plain", **{"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"})
    signed = ["content-type", "host", "x-project-id", "x-sdk-content-sha256", "x-sdk-date"]
    for payload_hash in (sigv.EMPTY_BODY_SHA256, "UNSIGNED-PAYLOAD"):  # huaweicloudsdkcore, recipe
        canonical = sigv.canonical_request("DELETE", "/v1/tools/t1", "", headers, signed, payload_hash)
        signature = sigv.sign(SK, sigv.string_to_sign(canonical, DATE))
        received = {**headers, "Authorization": _authorization(AK, signed, signature)}
        assert sigv.verify("DELETE", "/v1/tools/t1", "", received, b"", _secret_for,
                           sigv.parse_sdk_date(DATE)) == AK


def test_a_utf8_header_value_is_verified_as_the_text_its_sender_signed():
    headers = _gcs_headers(**{"X-Note": "样本 é"})
    signed = SIGNED + ["x-note"]
    signed.sort()
    canonical = sigv.canonical_request("GET", "/v1/tools", "", headers, signed, sigv.EMPTY_BODY_SHA256)
    signature = sigv.sign(SK, sigv.string_to_sign(canonical, DATE))
    on_the_wire = {**headers, "X-Note": "样本 é".encode("utf-8").decode("latin-1"),
                   "Authorization": _authorization(AK, signed, signature)}
    assert sigv.verify("GET", "/v1/tools", "", on_the_wire, b"", _secret_for,
                       sigv.parse_sdk_date(DATE)) == AK


@pytest.mark.parametrize("authorization,reason", [
    ("", "does not start with SDK-HMAC-SHA256"),
    ("SDK-HMAC-SHA256 Access=a, SignedHeaders", "malformed Authorization field 'SignedHeaders'"),
    ("SDK-HMAC-SHA256 Access=a, Signature=b", "lacks SignedHeaders"),
    ("SDK-HMAC-SHA256 Access=, SignedHeaders=host;x-sdk-date, Signature=b", "an empty Access"),
    ("SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=b", "must include host and x-sdk-date"),
    (f"SDK-HMAC-SHA256 Access=OTHER, SignedHeaders={';'.join(SIGNED)}, Signature=b", "unknown access key"),
    (f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date;x-missing, Signature=b",
     "signed header(s) not on the request: x-missing"),
])
def test_a_malformed_authorization_is_refused_saying_what_is_wrong(authorization, reason):
    vector = VECTORS[0]
    with pytest.raises(BadSignature, match=reason.replace("(", r"\(").replace(")", r"\)")):
        _verify(vector, authorization)


@pytest.mark.parametrize("date,reason", [(None, "missing"), ("2024-01-02", "is not YYYYMMDDTHHMMSSZ"),
                                         ("20240102T031906Z", "more than 15 minutes")])
def test_a_missing_malformed_or_stale_x_sdk_date_is_refused_before_the_signature(date, reason):
    vector = VECTORS[0]
    headers = {k: v for k, v in vector.headers.items() if k != "X-Sdk-Date"}
    headers.update({"X-Sdk-Date": date} if date else {})
    headers["Authorization"] = "not even a signature"
    with pytest.raises(BadSdkDate, match=reason):
        sigv.verify(vector.method, vector.path, vector.raw_query, headers, vector.body, _secret_for,
                    sigv.parse_sdk_date(DATE))


def _payload_hash(vector: Vector) -> str:
    if "x-sdk-content-sha256" in vector.signed:
        return vector.headers["X-Sdk-Content-Sha256"]
    return hashlib.sha256(vector.body).hexdigest()


def _verify(vector: Vector, authorization: str) -> str:
    headers = {**vector.headers, "Authorization": authorization}
    return sigv.verify(vector.method, vector.path, vector.raw_query, headers, vector.body, _secret_for,
                       sigv.parse_sdk_date(vector.date))


def _authorization(access: str, signed: list, signature: str) -> str:
    return f"SDK-HMAC-SHA256 Access={access}, SignedHeaders={';'.join(signed)}, Signature={signature}"


def _secret_for(access: str) -> str | None:
    return SK if access == AK else None


def test_a_non_ascii_signature_is_refused_as_a_mismatch_not_an_error():
    date = "20191115T033655Z"
    headers = {"Host": "gcs.cn-north-4.myhuaweicloud.com", "X-Sdk-Date": date,
               "Authorization": "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=é"}
    with pytest.raises(BadSignature, match="signature does not match"):
        sigv.verify("GET", "/v1/x", "", headers, b"", {"AK1": "SK1"}.get, sigv.parse_sdk_date(date))
