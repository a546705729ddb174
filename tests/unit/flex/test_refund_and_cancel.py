"""Refunds send exact major-unit numbers and report refusals; cancels accept an empty 200."""

from __future__ import annotations

import httpx
import pytest

from consumer.flex import FlexNotFound
from tests.unit.flex.fakes import harness, json_response

REFUSED = {
    "status": "FAILED",
    "success": False,
    "responseCode": "2001",
    "responseMessage": "Amount to refund (1.00) is greater than maximum refund amount in (0.00))",
    "transactionId": None,
    "errors": [{"item1": "Amount to refund ...", "item2": "2001", "item3": "2001", "item4": True}],
}


@pytest.mark.parametrize(
    ("amount_minor", "currency", "number"),
    [
        (1200, "USD", b"12.00"),
        (1999, "USD", b"19.99"),
        (29, "USD", b"0.29"),
        (1234, "JPY", b"1234"),
        (1234, "KWD", b"1.234"),
        (1000, "KWD", b"1.000"),
    ],
)
async def test_refund_amount_is_an_exact_json_number_in_major_units(
    amount_minor: int, currency: str, number: bytes
) -> None:
    h = harness()
    await h.client.refund("ord-1", amount_minor=amount_minor, currency=currency, message="m")
    (request,) = h.flex.to("/v1/orders/ord-1/refund")
    assert request.content == b'{"amountToRefund":' + number + b',"refundMessage":"m"}'


async def test_a_refused_refund_is_returned_with_its_code_not_raised() -> None:
    h = harness()
    h.flex.script("/v1/orders/ord-1/refund", json_response(200, REFUSED))
    response = await h.client.refund("ord-1", amount_minor=100, currency="USD", message="cmd-1")
    assert response.succeeded is False
    assert response.response_code == "2001"
    assert "greater than maximum refund amount" in (response.response_message or "")
    assert h.sleeps.delays == []


async def test_a_successful_refund() -> None:
    h = harness()
    body = {
        "status": "SUCCESS",
        "success": True,
        "responseCode": "0",
        "responseMessage": "APPROVED",
    }
    h.flex.script("/v1/orders/ord-1/refund", json_response(200, body))
    response = await h.client.refund("ord-1", amount_minor=100, currency="USD", message="cmd-1")
    assert response.succeeded is True


async def test_a_retried_refund_repeats_the_identical_request() -> None:
    h = harness()
    h.flex.script("/v1/orders/ord-1/refund", json_response(503, {}), json_response(200, {}))
    await h.client.refund("ord-1", amount_minor=1500, currency="EUR", message="refund cmd-42")
    first, second = h.flex.to("/v1/orders/ord-1/refund")
    assert first.content == second.content


@pytest.mark.parametrize("body", [b"", b"{}"])
async def test_cancel_accepts_an_empty_200(body: bytes) -> None:
    h = harness()
    h.flex.script("/v1/orders/ord-1/cancel", httpx.Response(200, content=body))
    h.flex.script("/v1/orders/ORD-9/external-cancel", httpx.Response(200, content=body))
    await h.client.cancel("ord-1")
    await h.client.external_cancel("ORD-9")
    assert len(h.flex.to("/v1/orders/ord-1/cancel")) == 1
    assert len(h.flex.to("/v1/orders/ORD-9/external-cancel")) == 1


async def test_cancel_of_an_unknown_order_is_not_found() -> None:
    h = harness()
    h.flex.script("/v1/orders/nope/cancel", httpx.Response(404))
    with pytest.raises(FlexNotFound):
        await h.client.cancel("nope")
