"""Every request reaches Flex with the contract's exact field names, casing, path and headers."""

from __future__ import annotations

import json
from uuid import UUID

from pydantic import SecretStr

from consumer.flex import evaluate_idempotency_key
from consumer.flex.vault import CreditCard, TokenizeRequest, VaultPaymentMethod
from tests.unit.flex.fakes import (
    APP_KEY,
    APP_SECRET,
    MID,
    SITE_ID,
    TOKENIZATION_KEY,
    a_transmit_request,
    an_evaluate_request,
    harness,
    json_response,
    raw_path,
)


async def test_token_request_sends_pascal_case_credentials_without_bearer() -> None:
    h = harness()
    await h.client.order("e3b2c1d0")
    (token_request,) = h.flex.to("/v1/oauth2/token")
    assert json.loads(token_request.content) == {"AppKey": APP_KEY, "AppSecret": APP_SECRET}
    assert "authorization" not in token_request.headers
    assert token_request.headers["content-type"] == "application/json"


async def test_evaluate_body_uses_the_contract_names() -> None:
    h = harness()
    await h.client.evaluate(an_evaluate_request())
    (body,) = h.flex.bodies("/v1/evaluate")
    assert body == {
        "isDeclined": True,
        "idempotencyKey": str(evaluate_idempotency_key("psp-tx-88812")),
        "mid": MID,
        "siteId": SITE_ID,
        "orderId": "ORD-100045",
        "transactionType": "PURCHASE",
        "isMIT": True,
        "isRecurring": True,
        "expiryDateUtc": "2026-01-26T10:00:00Z",
        "subscription": {
            "subscriptionId": "sub_123",
            "interval": "monthly",
            "price": "49.99",
            "currency": "USD",
            "paymentNumber": "4",
        },
        "transaction": {
            "id": "psp-tx-88812",
            "timestampUtc": "2026-01-05T10:00:00Z",
            "timezoneUtcOffset": 0,
            "amount": 4999,
            "currency": "USD",
            "responseCode": "05",
            "responseCodeSource": "nmi",
            "responseDescription": "Do not honor",
            "avsResultCode": "NA",
            "cvvResultCode": "NA",
            "cavvResultCode": "NA",
            "cardNotPresent": True,
        },
        "payer": {"email": "jane@example.com", "phone": "+15550100"},
        "billingInformation": {
            "firstName": "Jane",
            "lastName": "Doe",
            "country": "US",
            "countryCode": "US",
            "addressLine1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "zipcode": "73301",
        },
        "paymentMethod": {
            "holderName": "Jane Doe",
            "cardType": "CREDIT",
            "cardBrand": "VISA",
            "cardCountry": "US",
            "expirationMonth": 9,
            "expirationYear": 2030,
            "cardBinNumber": "411111",
            "cardLast4Digits": "1111",
            "cardNumber": "d1f7a7e4-8a3b-4a5e-9c1f-2b3c4d5e6f70",
        },
    }


async def test_evaluate_carries_bearer_and_json_headers() -> None:
    h = harness()
    await h.client.evaluate(an_evaluate_request())
    (request,) = h.flex.to("/v1/evaluate")
    assert request.method == "POST"
    assert request.url == "https://flex.test/v1/evaluate"
    assert request.headers["authorization"] == "Bearer access-token-1"
    assert request.headers["content-type"] == "application/json"


async def test_evaluate_idempotency_key_is_stable_per_transaction() -> None:
    h = harness()
    await h.client.evaluate(an_evaluate_request("psp-tx-1"))
    await h.client.evaluate(an_evaluate_request("psp-tx-1", order_id="ORD-other"))
    await h.client.evaluate(an_evaluate_request("psp-tx-2"))
    keys = [body["idempotencyKey"] for body in h.flex.bodies("/v1/evaluate")]
    assert keys[0] == keys[1] != keys[2]
    assert UUID(keys[0]) == evaluate_idempotency_key("psp-tx-1")


async def test_evaluate_keeps_a_site_url_instead_of_the_configured_site_id() -> None:
    h = harness()
    await h.client.evaluate(an_evaluate_request(site_url="https://shop.example"))
    (body,) = h.flex.bodies("/v1/evaluate")
    assert body["siteUrl"] == "https://shop.example"
    assert "siteId" not in body


async def test_transmit_body_has_no_card_number_and_is_not_declined() -> None:
    h = harness()
    h.flex.script("/v1/transmit", json_response(200, {"transmitId": "6a1e", "status": 0}))
    response = await h.client.transmit(a_transmit_request())
    (body,) = h.flex.bodies("/v1/transmit")
    assert body["isDeclined"] is False
    assert body["isMIT"] is True
    assert body["mid"] == MID
    assert body["orderId"] == "ORD-100046"
    assert "cardNumber" not in body["paymentMethod"]
    assert "idempotencyKey" not in body
    assert response.transmit_id == "6a1e"


async def test_tokenize_sends_snake_case_card_and_keys_in_the_query_without_bearer() -> None:
    h = harness()
    card = CreditCard(
        first_name="Jane",
        last_name="Doe",
        number=SecretStr("4111111111111111"),
        verification_value=SecretStr("123"),
        month="09",
        year="2030",
    )
    h.flex.script(
        "/v1/tokenize",
        json_response(200, {"transaction": {"payment_method": {"token": "d1f7", "number": None}}}),
    )
    response = await h.client.tokenize(
        TokenizeRequest(payment_method=VaultPaymentMethod(credit_card=card, sense_key="3c8e"))
    )
    (request,) = h.flex.to("/v1/tokenize")
    assert dict(request.url.params) == {"mid": MID, "environment": TOKENIZATION_KEY}
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {
        "payment_method": {
            "sense_key": "3c8e",
            "credit_card": {
                "first_name": "Jane",
                "last_name": "Doe",
                "number": "4111111111111111",
                "verification_value": "123",
                "month": "09",
                "year": "2030",
            },
        }
    }
    assert response.token == "d1f7"
    assert h.flex.to("/v1/oauth2/token") == []


async def test_order_is_a_get_without_body_on_an_escaped_path() -> None:
    h = harness()
    h.flex.script("/v1/orders/a%2Fb%3Fc", json_response(200, {"id": "a/b?c", "status": 7}))
    order = await h.client.order("a/b?c")
    (request,) = h.flex.to("/v1/orders/a%2Fb%3Fc")
    assert request.method == "GET"
    assert request.content == b""
    assert order.id == "a/b?c"


async def test_refund_cancel_external_cancel_and_outcome_paths_and_bodies() -> None:
    h = harness()
    key = UUID("0f5b7f3e-4a9d-4c5e-8e2a-7b1c9d0e1f23")
    await h.client.refund("ord-1", amount_minor=1200, currency="USD", message="refund cmd-7")
    await h.client.cancel("ord-1")
    await h.client.cancel("ord-2", idempotency_key=key)
    await h.client.external_cancel("ORD-100045")
    await h.client.outcome("ord-1")
    sent = {
        (raw_path(request), request.content)
        for request in h.flex.requests
        if raw_path(request) != "/v1/oauth2/token"
    }
    assert sent == {
        ("/v1/orders/ord-1/refund", b'{"amountToRefund":12.00,"refundMessage":"refund cmd-7"}'),
        ("/v1/orders/ord-1/cancel", b"{}"),
        ("/v1/orders/ord-2/cancel", f'{{"idempotencyKey":"{key}"}}'.encode()),
        ("/v1/orders/ORD-100045/external-cancel", b"{}"),
        ("/v1/outcome", b'{"orderSessionKey":"ord-1"}'),
    }


async def test_a_new_generation_sends_a_new_key_and_no_generation_field() -> None:
    h = harness()
    await h.client.evaluate(an_evaluate_request("psp-tx-1").model_copy(update={"generation": 1}))
    (body,) = h.flex.bodies("/v1/evaluate")
    assert UUID(body["idempotencyKey"]) == evaluate_idempotency_key("psp-tx-1", 1)
    assert body["idempotencyKey"] != str(evaluate_idempotency_key("psp-tx-1"))
    assert "generation" not in body
