"""Webhook signatures verify exactly when the body, headers and key are the ones signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from consumer.webhooks import signature
from consumer.webhooks.signature import InvalidSignature

KEY = base64.b64encode(b"subscriber key from the merchant portal").decode()
OTHER_KEY = base64.b64encode(b"a key of some other subscription").decode()
HOST = "merchant.example"
BODY = b'{"Event":"order.completed","OrderId":"e3b2c1d0-1111-4a2b-8c3d-4e5f60718293"}'
SENT_AT = datetime(2023, 3, 20, 17, 16, 40, tzinfo=UTC)
DATE = "Mon, 20 Mar 2023 17:16:40 GMT"
NONCE = "0f5b7f3e4a9d4c5e8e2a7b1c9d0e1f23"


def _signed(body: bytes = BODY, key: str = KEY) -> dict[str, str]:
    return signature.sign(body, key, HOST, nonce=NONCE, date=DATE)


def _independent_headers(
    body: bytes, key_b64: str, nonce: str, date: str, host: str
) -> dict[str, str]:
    """The contract text (§7.4) written out with hashlib/hmac/base64 and nothing else."""
    key = base64.b64decode(key_b64)
    content = base64.b64encode(hashlib.sha512(body).digest()).decode()
    canonical = "POST\n" + nonce + ";" + date + ";" + host + ";" + content
    header_mac = hmac.new(key, canonical.encode("utf-8"), hashlib.sha512).digest()
    body_mac = hmac.new(key, body, hashlib.sha512).digest()
    return {
        "x-fc-date": date,
        "x-fc-nonce": nonce,
        "x-fc-content-sha512": content,
        "x-fc-authorization": "HMAC-SHA512 SignedHeaders=x-fc-nonce;x-fc-date;host;"
        "x-fc-content-sha512&Signature=" + base64.b64encode(header_mac).decode(),
        "x-fc-signature": base64.b64encode(body_mac).decode(),
    }


def test_signed_headers_verify() -> None:
    signature.verify(BODY, _signed(), [KEY], HOST)


def test_signing_matches_an_independent_implementation_of_the_contract() -> None:
    assert _signed() == _independent_headers(BODY, KEY, NONCE, DATE, HOST)


def test_independently_signed_headers_verify() -> None:
    signature.verify(BODY, _independent_headers(BODY, KEY, NONCE, DATE, HOST), [KEY], HOST)


@given(body=st.binary(max_size=2048))
def test_content_hash_is_base64_sha512_of_the_raw_body(body: bytes) -> None:
    expected = base64.b64encode(hashlib.sha512(body).digest()).decode()
    assert _signed(body)["x-fc-content-sha512"] == expected


def test_header_names_are_case_insensitive() -> None:
    upper = {name.upper(): value for name, value in _signed().items()}
    signature.verify(BODY, upper, [KEY], HOST)


def test_any_of_several_keys_verifies() -> None:
    signature.verify(BODY, _signed(key=OTHER_KEY), [KEY, SecretStr(OTHER_KEY)], HOST)


def test_wrong_key_fails() -> None:
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY, _signed(key=OTHER_KEY), [KEY], HOST)
    assert caught.value.reason == "signature"


def test_altered_body_fails() -> None:
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY.replace(b"completed", b"cancelled"), _signed(), [KEY], HOST)
    assert caught.value.reason == "content_hash"


def test_body_and_hash_both_replaced_fails_on_the_signature() -> None:
    forged_body = BODY.replace(b"completed", b"cancelled")
    headers = _signed() | {"x-fc-content-sha512": signature.content_sha512(forged_body)}
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(forged_body, headers, [KEY], HOST)
    assert caught.value.reason == "signature"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-fc-nonce", "ffffffffffffffffffffffffffffffff"),
        ("x-fc-date", "Mon, 20 Mar 2023 17:16:41 GMT"),
        ("x-fc-signature", base64.b64encode(b"\0" * 64).decode()),
    ],
)
def test_altered_header_fails(header: str, value: str) -> None:
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY, _signed() | {header: value}, [KEY], HOST)
    assert caught.value.reason == "signature"


def test_other_host_fails() -> None:
    with pytest.raises(InvalidSignature):
        signature.verify(BODY, _signed(), [KEY], "attacker.example")


@pytest.mark.parametrize("missing", ["x-fc-date", "x-fc-nonce", "x-fc-content-sha512",
                                     "x-fc-authorization"])  # fmt: skip
def test_missing_header_fails(missing: str) -> None:
    headers = _signed()
    del headers[missing]
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY, headers, [KEY], HOST)
    assert caught.value.reason == "missing_header"


def test_body_signature_header_is_optional() -> None:
    headers = _signed()
    del headers["x-fc-signature"]
    signature.verify(BODY, headers, [KEY], HOST)


def test_malformed_authorization_fails() -> None:
    headers = _signed() | {"x-fc-authorization": "Bearer something"}
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY, headers, [KEY], HOST)
    assert caught.value.reason == "malformed"


def test_date_outside_the_tolerance_is_stale() -> None:
    signature.verify(BODY, _signed(), [KEY], HOST, now=SENT_AT + timedelta(minutes=4))
    with pytest.raises(InvalidSignature) as caught:
        signature.verify(BODY, _signed(), [KEY], HOST, now=SENT_AT + timedelta(minutes=6))
    assert caught.value.reason == "stale"


def test_http_date_and_nonce_formats() -> None:
    assert signature.http_date(SENT_AT) == DATE
    nonce = signature.new_nonce()
    assert len(nonce) == 32
    assert nonce == nonce.lower()
    int(nonce, 16)


def test_a_key_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        signature.sign(BODY, "not base64!", HOST, nonce=NONCE, date=DATE)
