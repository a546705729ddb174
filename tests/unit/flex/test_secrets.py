"""AppKey, AppSecret, the tokenization key, access tokens and card data never leak into text."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import SecretStr

from consumer.flex import FlexUnavailable
from consumer.flex.auth import TokenCache
from consumer.flex.models import TokenRequest
from consumer.flex.responses import TokenResponse
from consumer.flex.vault import CreditCard, TokenizeRequest, VaultPaymentMethod
from tests.unit.flex.fakes import (
    APP_KEY,
    APP_SECRET,
    SECRETS,
    TOKENIZATION_KEY,
    Clock,
    an_evaluate_request,
    harness,
    json_response,
    settings,
)

PAN, CVV = "4111111111111111", "987"
ACCESS_TOKEN = "access-token-1"


def a_tokenize_request() -> TokenizeRequest:
    card = CreditCard(
        first_name="Jane",
        last_name="Doe",
        number=SecretStr(PAN),
        verification_value=SecretStr(CVV),
        month="09",
        year="2030",
    )
    return TokenizeRequest(payment_method=VaultPaymentMethod(credit_card=card))


def assert_clean(text: str) -> None:
    for secret in (*SECRETS, ACCESS_TOKEN, PAN):
        assert secret not in text


async def test_reprs_and_strs_hold_no_secret() -> None:
    h = harness()
    await h.client.order("o1")
    token = TokenResponse.model_validate({"accessToken": ACCESS_TOKEN, "expires": 1})
    cache = TokenCache(lambda: None, clock=Clock())  # type: ignore[arg-type, return-value]
    credentials = TokenRequest(app_key=SecretStr(APP_KEY), app_secret=SecretStr(APP_SECRET))
    for thing in (settings(), h.client, credentials, token, a_tokenize_request(), cache):
        assert_clean(repr(thing))
        assert_clean(str(thing))
    assert f"'{CVV}'" not in repr(a_tokenize_request())


async def test_exception_messages_hold_no_secret_even_when_the_cause_quotes_one() -> None:
    h = harness(max_attempts=1)
    leak = f"cannot reach https://flex.test/v1/tokenize?environment={TOKENIZATION_KEY}"
    h.flex.script("/v1/tokenize", httpx.ConnectError(leak))
    with pytest.raises(FlexUnavailable) as caught:
        await h.client.tokenize(a_tokenize_request())
    assert "ConnectError" in str(caught.value)
    assert_clean(str(caught.value))
    assert caught.value.__cause__ is None


async def test_a_rejection_echoing_the_bearer_token_is_scrubbed() -> None:
    h = harness()
    body = {"title": f"token {ACCESS_TOKEN} lacks scope", "errors": {"Card": [PAN]}}
    h.flex.script("/v1/evaluate", json_response(403, body))
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is asserted elsewhere
        await h.client.evaluate(an_evaluate_request())
    assert_clean(str(caught.value))
    assert "lacks scope" in str(caught.value)


async def test_log_records_hold_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # flexmit's log set-up quiets httpx
    h = harness()
    h.flex.script("/v1/tokenize", json_response(503, {}), json_response(200, {}))
    h.flex.script("/v1/evaluate", json_response(401, {}), json_response(200, {}))
    await h.client.tokenize(a_tokenize_request())
    await h.client.evaluate(an_evaluate_request())
    messages = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request: POST" in text and "tokenize" in text for text in messages)
    assert any("retrying" in text for text in messages)
    for record in caplog.records:
        assert_clean(record.getMessage())
    assert_clean(caplog.text)
