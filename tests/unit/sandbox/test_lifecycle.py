"""Orders follow the contract's state machine, and each transition emits its one webhook."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness


async def _order(sandbox: Harness, order_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await sandbox.get(f"/v1/orders/{order_id}")).json()
    return body


async def _events(sandbox: Harness) -> list[tuple[str, str]]:
    return [(hook["Event"], hook["OrderId"]) for hook in await sandbox.settle()]


async def test_rescued_managed_mit_completes_inside_its_window(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate()).json()["orderId"]
    assert (await _order(sandbox, order_id))["statusName"] == "DRAFT"
    await sandbox.advance(seconds=120)
    assert (await _order(sandbox, order_id))["statusName"] == "PROCESSING"
    assert await _events(sandbox) == []
    await sandbox.advance(days=13)  # the rescue point lies within 10-60 % of 21 days
    order = await _order(sandbox, order_id)
    assert (order["status"], order["statusName"]) == (7, "COMPLETED")
    assert await _events(sandbox) == [("order.completed", order_id)]
    outcome = await sandbox.post("/v1/outcome", {"orderSessionKey": order_id})
    assert outcome.json()["status"] == "APPROVED"


async def test_unrescued_managed_mit_expires_at_its_expiry_date(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate(card=flex_requests.DECLINED_CARD)).json()["orderId"]
    await sandbox.advance(days=20)
    assert (await _order(sandbox, order_id))["statusName"] == "PROCESSING"
    await sandbox.advance(days=1, seconds=1)
    assert (await _order(sandbox, order_id))["statusName"] == "CANCELLED"
    assert await _events(sandbox) == [("order.expired", order_id)]
    outcome = await sandbox.post("/v1/outcome", {"orderSessionKey": order_id})
    assert outcome.json()["status"] == "EXPIRED"
    ledger = await sandbox.ledger()
    assert ledger["orders"][order_id]["history"][-1]["at"].startswith("2026-01-26T10:00:00")


@pytest.mark.parametrize("after_seconds", [0, 120])
async def test_cancel_of_a_pending_mit_stops_its_rescue(
    sandbox: Harness, after_seconds: int
) -> None:
    order_id = (await sandbox.evaluate()).json()["orderId"]
    await sandbox.advance(seconds=after_seconds)  # Draft, then Processing
    response = await sandbox.post(f"/v1/orders/{order_id}/cancel", {})
    assert (response.status_code, response.content) == (200, b"")
    await sandbox.advance(days=30)
    assert (await _order(sandbox, order_id))["statusName"] == "CANCELLED"
    assert await _events(sandbox) == [("order.cancelled", order_id)]
    outcome = await sandbox.post("/v1/outcome", {"orderSessionKey": order_id})
    assert outcome.json()["status"] == "CANCELLED"


async def test_repeated_and_external_cancels_collapse_into_one(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    order_id = (await sandbox.post("/v1/evaluate", body)).json()["orderId"]
    cancels = [
        await sandbox.client.post(f"/v1/orders/{order_id}/cancel", headers=await sandbox.auth()),
        await sandbox.post(f"/v1/orders/{body['orderId']}/external-cancel", {}),
        await sandbox.post(f"/v1/orders/{order_id}/cancel", {}),
    ]
    assert [response.status_code for response in cancels] == [200, 200, 200]
    assert await _events(sandbox) == [("order.cancelled", order_id)]
    stats = (await sandbox.ledger())["cancels"][order_id]
    assert (stats["calls"], stats["effective"], stats["replays"]) == (3, 1, 2)


async def test_cancel_idempotency_key_replays_or_conflicts(sandbox: Harness) -> None:
    first = (await sandbox.evaluate()).json()["orderId"]
    second = (await sandbox.evaluate()).json()["orderId"]
    key = {"idempotencyKey": str(uuid.uuid4())}
    assert (await sandbox.post(f"/v1/orders/{first}/cancel", key)).status_code == 200
    assert (await sandbox.post(f"/v1/orders/{first}/cancel", key)).status_code == 200
    assert (await sandbox.post(f"/v1/orders/{second}/cancel", key)).status_code == 409
    assert (await _order(sandbox, second))["statusName"] == "DRAFT"


@pytest.mark.parametrize(
    "evaluate",
    [
        {"managed": False},  # sync MIT approved: Completed
        {"card": flex_requests.DECLINED_CARD, "managed": False},  # declined
        {"isMIT": False, "managed": False, "card": flex_requests.CHALLENGE_CARD},  # CIT pending
    ],
)
async def test_cancel_is_refused_outside_the_allowed_states(
    sandbox: Harness, evaluate: dict[str, Any]
) -> None:
    order_id = (await sandbox.evaluate(**evaluate)).json()["orderId"]
    before = await _order(sandbox, order_id)
    response = await sandbox.post(f"/v1/orders/{order_id}/cancel", {})
    assert response.status_code == 409
    assert response.json()["title"] == "Conflict"
    assert await _order(sandbox, order_id) == before


async def test_expired_order_cannot_be_cancelled(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate(card=flex_requests.DECLINED_CARD)).json()["orderId"]
    await sandbox.advance(days=22)
    assert (await sandbox.post(f"/v1/orders/{order_id}/cancel", {})).status_code == 409


async def test_authorization_is_captured_once(sandbox: Harness) -> None:
    answer = await sandbox.evaluate(transactionType="AUTHORIZATION", isMIT=False, managed=False)
    order_id = answer.json()["orderId"]
    capture = {"idempotencyKey": str(uuid.uuid4()), "orderId": order_id, "amount": 4999,
               "currency": "USD"}  # fmt: skip
    wrong = await sandbox.post("/v1/capture", capture | {"idempotencyKey": str(uuid.uuid4()),
                                                         "amount": 100})  # fmt: skip
    assert (wrong.json()["status"], wrong.json()["success"]) == ("FAILED", False)
    done = await sandbox.post("/v1/capture", capture)
    again = await sandbox.post("/v1/capture", capture)
    assert done.json()["status"] == done.json()["captureStatus"] == "SUCCESS"
    assert again.json() == done.json()
    assert (await _order(sandbox, order_id))["statusName"] == "COMPLETED"
    assert await _events(sandbox) == [
        ("order.capturerequired", order_id),
        ("order.completed", order_id),
    ]


async def test_cit_authorization_can_be_cancelled_and_auto_voids(sandbox: Harness) -> None:
    cit = {"transactionType": "AUTHORIZATION", "isMIT": False, "managed": False}
    cancelled = (await sandbox.evaluate(**cit)).json()["orderId"]
    voided = (await sandbox.evaluate(**cit)).json()["orderId"]
    assert (await sandbox.post(f"/v1/orders/{cancelled}/cancel", {})).status_code == 200
    await sandbox.advance(days=8)
    assert (await _order(sandbox, voided))["statusName"] == "CANCELLED"
    events = await _events(sandbox)
    assert events.count(("order.cancelled", cancelled)) == 1
    assert events.count(("order.cancelled", voided)) == 1


async def test_unanswered_challenge_is_cancelled_after_the_timeout(sandbox: Harness) -> None:
    cit = {"isMIT": False, "managed": False, "card": flex_requests.CHALLENGE_CARD}
    order_id = (await sandbox.evaluate(**cit)).json()["orderId"]
    await sandbox.advance(seconds=3601)
    assert (await _order(sandbox, order_id))["statusName"] == "CANCELLED"
    assert await _events(sandbox) == [("order.cancelled", order_id)]


async def test_unknown_orders_are_404_problem_details(sandbox: Harness) -> None:
    unknown = str(uuid.uuid4())
    for response in (
        await sandbox.get(f"/v1/orders/{unknown}"),
        await sandbox.post(f"/v1/orders/{unknown}/refund", {"amountToRefund": 1.0}),
        await sandbox.post(f"/v1/orders/{unknown}/cancel", {}),
        await sandbox.post("/v1/orders/no-such-merchant-order/external-cancel", {}),
    ):
        assert response.status_code == 404
        assert response.json()["title"] == "Not Found"
    outcome = await sandbox.post("/v1/outcome", {"orderSessionKey": unknown})
    assert outcome.json()["status"] == "NOTFOUND"


async def test_order_view_has_the_documented_fields(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate()).json()["orderId"]
    order = await _order(sandbox, order_id.upper())
    assert order["id"] == order_id
    assert order["currencyCode"] == "USD"
    assert order["currencySymbol"] == "$"
    assert order["email"] == "jane@example.com"
    assert order["expiryDate"].startswith("2026-01-26T10:00:00")
    assert {"correlationId", "referenceNumber", "orderPlacedDate", "billingAddress"} <= set(order)
