"""Huawei's own signer as the oracle of ours: a thousand seeded random requests signed by
``huaweicloudsdkcore`` (``BasicCredentials`` -> ``Signer``) and by :class:`AkSkAuth` with the same
fixed ``X-Sdk-Date`` carry the same ``Authorization``, the same signed header values and the
same URL, and the emulator's own verifier accepts every one AkSkAuth signed.

The requests mix GET/POST/PUT/DELETE; paths with project ids, ids and percent-encoded
characters; queries with empty values, repeated keys, lists, booleans, numbers, unicode and
reserved characters; no body, an empty body (bytes or text), JSON, text and bytes bodies and
multipart uploads; under a JSON, charset JSON, text, multipart, octet-stream, odd-case or no
Content-Type; with headers Huawei trims, signs as UTF-8, or leaves unsigned (``_`` in the name).

Cases Huawei's signer cannot sign consistently are not drawn (see the module's ``_draw_query``):
a key repeated with values of different types, and numbers repeated under one key (Huawei
sorts them as numbers, while every verifier sorts the strings that were sent).
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from urllib3 import encode_multipart_formdata

from gcsapply.client import signing
from gcsapply.client.auth import AkSkAuth
from gcsapply.emulator import sigv
from gcsapply.emulator.errors import BadSdkDate, BadSignature

SEED = 20240607
COUNT = 1000
AK = "TESTAK0000EXAMPLE000"
SK = "TestSecretKey0000000000000000000EXAMPLE1"
DATE = "20240102T030405Z"
NOW = sigv.parse_sdk_date(DATE) + 60
HOST = "gcs.cn-north-4.myhuaweicloud.com"
PROJECT = "0123456789abcdef0123456789abcdef"

METHODS = ("GET", "POST", "PUT", "DELETE")
COLLECTIONS = ("/v1/tools", "/v1/workflows", "/v1/executions", "/v1/environments",
               "/v1/cromwell/executions", f"/v1/{PROJECT}/vpcs")
SUFFIXES = ("", "", "/inputs", "/archive", "/")
# what an id or a name in a path may carry once it is one percent-encoded segment
SEGMENTS = ("gatk wf~1", "a+b", "50%", "a/b", "中文", "é ü", "x?y#z", "%2F", "a;b=c", "~user",
            "..x", "x..", "a:b@c", "(!*')", "tab\there", "[v6]", "plus+%2B")
KEYS = ("limit", "offset", "name", "scope", "status", "a b", "x~y", "k+", "100%", "a/b", "中文",
        "é", "", "Z", "z", "_u", "del_workflow_package", "q=1", "amp&", "hash#", "semi;")
VALUES = ("", "Running", "gatk wf~1", "a+b", "100%", "a/b?c#d", "中文", "é ü", "~", " ", "x=y&z",
          "true", "%20", "+", "line\nbreak", "tab\t", "ＡＢＣ", "emoji 🧬")
CONTENT_TYPES = (None, "application/json", "application/json;charset=UTF-8", "text/plain",
                 "multipart/form-data; boundary=oracle", "application/octet-stream",
                 "application/json; charset=utf-8", "Application/JSON", "application/bson",
                 "text/plain; charset=utf-8")
BODY_KINDS = ("none", "empty", "json", "text", "bytes", "multipart")
# (name, values): optional caller headers; a value ending in whitespace is trimmed by both signers
EXTRA_HEADERS = (
    ("X-Request-Id", ("0f3c9a", "req-1")),
    ("X-Trace_Id", ("unsigned-because-of-the-underscore",)),
    ("X-Language", ("en-us  ", "zh-cn\t", "fr")),
    ("X-Note", ("中文 é", "ＡＢＣ\u3000", "naïve\u00a0")),
    ("X-Empty", ("",)),
    ("X-Inner", ("a  b\tc",)),
    ("Host", (f"{HOST}:443", "GCS.Example.com")),
)


@dataclass(frozen=True)
class Case:
    """One request as a caller describes it to either signer."""

    number: int
    method: str
    path: str
    query: tuple
    headers: tuple
    body: bytes | str | None
    body_kind: str
    project_id: str | None
    security_token: str | None

    def describe(self) -> str:
        return (f"#{self.number} {self.method} {self.path} query={self.query!r} headers={self.headers!r} "
                f"body({self.body_kind})={self.body!r:.60}")


@dataclass(frozen=True)
class Signed:
    """What each side would send for a case."""

    case: Case
    huawei: SdkRequest
    ours: requests.PreparedRequest


def draw_cases(seed: int = SEED, count: int = COUNT) -> list[Case]:
    """``count`` random requests, the same ones for the same seed."""
    rng = random.Random(seed)
    return [_draw_case(rng, number) for number in range(count)]


def sign_both(case: Case) -> Signed:
    """The case signed by huaweicloudsdkcore and by AkSkAuth, the same date on both."""
    return Signed(case, sign_with_huawei(case), sign_with_akskauth(case))


def sign_with_huawei(case: Case) -> SdkRequest:
    credentials = BasicCredentials(AK, SK, case.project_id)
    if case.security_token:
        credentials.security_token = case.security_token
    request = SdkRequest(method=case.method, schema="https", host=HOST, resource_path=case.path,
                         query_params=copy.deepcopy(list(case.query)), header_params=dict(case.headers),
                         body=case.body)
    return credentials.sign_request(request)


def sign_with_akskauth(case: Case) -> requests.PreparedRequest:
    """As our session sends it: the query through ``encode_query``, then requests' preparation."""
    url = f"https://{HOST}{case.path}"
    query = signing.encode_query(copy.deepcopy(list(case.query)))
    if query:
        url += "?" + query
    request = requests.Request(case.method, url, headers=dict(case.headers), data=case.body)
    prepared = _HTTP.prepare_request(request)
    return AkSkAuth(AK, SK, case.project_id, case.security_token)(prepared)


@pytest.fixture(scope="module")
def batch() -> list[Signed]:
    return [sign_both(case) for case in draw_cases()]


def test_a_thousand_seeded_requests_get_the_same_authorization_from_akskauth_as_from_huaweicloudsdkcore(batch):
    differing = [s.case.describe() for s in batch
                 if s.ours.headers["Authorization"] != s.huawei.header_params["Authorization"]]
    assert differing == []
    assert len(batch) == COUNT


def test_the_emulators_verifier_accepts_every_request_akskauth_signed(batch):
    refused = []
    for signed in batch:
        url = urlsplit(signed.ours.url)
        try:
            access = sigv.verify(signed.case.method, url.path, url.query, dict(signed.ours.headers),
                                 signed.ours.body or b"", {AK: SK}.get, now=NOW)
        except (BadSignature, BadSdkDate) as exc:
            access = f"refused: {exc}"
        if access != AK:
            refused.append(f"{signed.case.describe()} -> {access}")
    assert refused == []


def test_every_signed_header_is_sent_with_the_value_huaweis_sdk_sends(batch):
    differing = []
    for signed in batch:
        names = _signed_header_names(signed.huawei.header_params["Authorization"])
        huawei = {name.lower(): value for name, value in signed.huawei.header_params.items()
                  if name.lower() in names}
        ours = {name.lower(): value for name, value in signed.ours.headers.items() if name.lower() in names}
        if ours != huawei:
            differing.append((signed.case.number, ours, huawei))
    assert differing == []


def test_every_request_is_sent_to_the_url_huaweis_sdk_sends_it_to_with_the_same_body_bytes(batch):
    differing = [(s.case.number, s.ours.url, s.huawei.url) for s in batch
                 if s.ours.url != requests.utils.requote_uri(s.huawei.url)]
    assert differing == []
    assert [s.case.number for s in batch if (s.ours.body or b"") != (s.huawei.body or b"")] == []
    assert {type(s.ours.body).__name__ for s in batch} == {"bytes", "NoneType"}


def test_the_batch_covers_every_method_body_kind_content_type_and_query_shape():
    cases = draw_cases()
    assert {c.method for c in cases} == set(METHODS)
    assert {c.body_kind for c in cases} == set(BODY_KINDS)
    assert {dict(c.headers).get("Content-Type") for c in cases} == set(CONTENT_TYPES)
    assert {type(v).__name__ for c in cases for _, v in c.query} == {"str", "int", "bool", "list"}
    assert any(len({k for k, _ in c.query}) < len(c.query) for c in cases)  # a repeated key
    assert any("content-type" in dict(c.headers) for c in cases)  # Huawei reads only "Content-Type"
    assert {c.project_id for c in cases} == {None, PROJECT}
    assert {c.security_token is None for c in cases} == {True, False}


_HTTP = requests.Session()


def _signed_header_names(authorization: str) -> set[str]:
    return set(authorization.split("SignedHeaders=")[1].split(",")[0].split(";"))


def _draw_case(rng: random.Random, number: int) -> Case:
    method = rng.choice(METHODS)
    body_kind = rng.choice(BODY_KINDS)
    content_type = rng.choice(CONTENT_TYPES)
    body = _draw_body(rng, body_kind)
    headers = [("X-Sdk-Date" if rng.random() < 0.8 else "x-sdk-date", DATE)]
    if content_type is not None:
        headers.append(("Content-Type" if rng.random() < 0.9 else "content-type", content_type))
    for name, values in EXTRA_HEADERS:
        if rng.random() < (0.05 if name == "Host" else 0.25):
            headers.append((name, rng.choice(values)))
    if rng.random() < 0.1:  # a caller-computed payload hash (Huawei trusts it for a non-empty body)
        headers.append(("X-Sdk-Content-Sha256", rng.choice((signing.payload_hash(body), "UNSIGNED-PAYLOAD", ""))))
    rng.shuffle(headers)
    return Case(number, method, _draw_path(rng), tuple(_draw_query(rng)), tuple(headers), body, body_kind,
                rng.choice((None, PROJECT, PROJECT)), rng.choice((None, None, None, "temporary-token")))


def _draw_path(rng: random.Random) -> str:
    path = rng.choice(COLLECTIONS)
    if rng.random() < 0.7:
        identifier = rng.choice((f"{rng.getrandbits(128):032x}", rng.choice(SEGMENTS),
                                 "".join(rng.choice(SEGMENTS) for _ in range(2))))
        path += "/" + quote(identifier, safe="")
    return path + rng.choice(SUFFIXES)


def _draw_query(rng: random.Random) -> list[tuple[str, object]]:
    """Pairs in the caller's order. A repeated key keeps one type: strings (or booleans) may
    repeat; a number appears once (Huawei sorts repeated numbers as numbers: 9 before 10)."""
    pairs: list[tuple[str, object]] = []
    for key in rng.sample(KEYS, rng.choice((0, 0, 1, 2, 3, 5))):
        shape = rng.choice(("str", "str", "repeated", "list", "int", "bool", "bools"))
        if shape == "str":
            pairs.append((key, rng.choice(VALUES)))
        elif shape == "repeated":
            pairs.extend((key, rng.choice(VALUES)) for _ in range(rng.randint(2, 3)))
        elif shape == "list":
            pairs.append((key, [rng.choice(VALUES) for _ in range(rng.randint(1, 3))]))
        elif shape == "int":
            pairs.append((key, rng.choice((0, 10, 9, -1, 1000))))
        elif shape == "bool":
            pairs.append((key, rng.choice((True, False))))
        else:
            pairs.append((key, [rng.choice((True, False)) for _ in range(rng.randint(1, 2))]))
    rng.shuffle(pairs)
    return pairs


def _draw_body(rng: random.Random, kind: str) -> bytes | str | None:
    as_text = rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "empty":
        return "" if as_text else b""
    if kind == "json":
        document = {"name": rng.choice(VALUES), "n": rng.randint(0, 99), "ok": rng.random() < 0.5}
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5, separators=(",", ":"))
        return text if as_text else text.encode("utf-8")
    if kind == "text":
        text = " ".join(rng.choice(VALUES) for _ in range(rng.randint(1, 4))) or "x"
        return text if as_text else text.encode("utf-8")
    if kind == "bytes":
        return rng.randbytes(rng.randint(1, 64))
    body, _ = encode_multipart_formdata({"resource": (None, '{"name":"hello"}'),
                                         "archive_content": ("hello.yaml", rng.randbytes(16))},
                                        boundary="oracle")
    return body
