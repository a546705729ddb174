"""Refunds: only captured money, summed and capped, identical requests refunded once."""

from __future__ import annotations

from typing import Any

from tests.unit.sandbox.conftest import Harness, MakeSandbox


async def _completed(sandbox: Harness, amount: int = 4999) -> str:
    order_id: str = (await sandbox.evaluate(managed=False, amount=amount)).json()["orderId"]
    return order_id


async def _refund(sandbox: Harness, order_id: str, amount: float, message: str | None = None
                  ) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"amountToRefund": amount}
    if message is not None:
        body["refundMessage"] = message
    response = await sandbox.post(f"/v1/orders/{order_id}/refund", body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


async def _status(sandbox: Harness, order_id: str) -> str:
    status: str = (await sandbox.get(f"/v1/orders/{order_id}")).json()["statusName"]
    return status


async def test_partial_refunds_add_up_to_a_full_refund(sandbox: Harness) -> None:
    order_id = await _completed(sandbox)
    first = await _refund(sandbox, order_id, 20.00, "first")
    assert (first["status"], first["success"], first["responseCode"]) == ("SUCCESS", True, "0")
    assert first["transactionId"]
    assert await _status(sandbox, order_id) == "COMPLETED"
    await _refund(sandbox, order_id, 29.99, "rest")
    assert await _status(sandbox, order_id) == "RETURNED"
    hooks = [hook for hook in await sandbox.settle() if hook["Event"] == "order.refunded"]
    assert [hook["EventData"]["IsPartialRefund"] for hook in hooks] == [True, False]
    assert hooks[-1]["EventData"]["TotalRefunded"] == 49.99


async def test_over_refund_fails_with_the_api_message(sandbox: Harness) -> None:
    order_id = await _completed(sandbox)
    await _refund(sandbox, order_id, 49.00)
    answer = await _refund(sandbox, order_id, 1.00)
    message = "Amount to refund (1.00) is greater than maximum refund amount in (0.99))"
    assert answer["success"] is False
    assert answer["status"] == "FAILED"
    assert answer["responseCode"] == "2001"
    assert answer["responseMessage"] == message
    assert answer["errors"] == [{"item1": message, "item2": "2001", "item3": "2001", "item4": True}]
    ledger = await sandbox.ledger()
    assert ledger["orders"][order_id]["refundedAmount"] == 4900


async def test_uncaptured_orders_have_nothing_to_refund(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate()).json()["orderId"]  # managed MIT, still pending
    answer = await _refund(sandbox, order_id, 1.00)
    assert answer["responseMessage"].endswith("maximum refund amount in (0.00))")


async def test_identical_refund_request_is_refunded_once(sandbox: Harness) -> None:
    order_id = await _completed(sandbox)
    first = await _refund(sandbox, order_id, 10.00, "Customer request")
    again = await _refund(sandbox, order_id, 10.0, "Customer request")
    other_reason = await _refund(sandbox, order_id, 10.00, "Second item")
    assert again == first
    assert other_reason["transactionId"] != first["transactionId"]
    ledger = await sandbox.ledger()
    assert ledger["orders"][order_id]["refundedAmount"] == 2000
    records = ledger["refunds"][order_id]
    assert [(record["status"], record["replays"]) for record in records] == [
        ("SUCCESS", 1),
        ("SUCCESS", 0),
    ]
    refunded = [hook for hook in await sandbox.settle() if hook["Event"] == "order.refunded"]
    assert len(refunded) == 2


async def test_amounts_finer_than_cents_are_invalid(sandbox: Harness) -> None:
    order_id = await _completed(sandbox)
    response = await sandbox.post(f"/v1/orders/{order_id}/refund", {"amountToRefund": 1.001})
    assert response.status_code == 400
    assert response.json()["errors"] == {"AmountToRefund": ["The field AmountToRefund is invalid."]}


async def test_optional_partial_refund_limit(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(partial_refund_limit=0.6)
    order_id = await _completed(sandbox, amount=10000)
    assert (await _refund(sandbox, order_id, 70.00))["responseCode"] == "2002"
    assert (await _refund(sandbox, order_id, 60.00))["status"] == "SUCCESS"
    assert (await _refund(sandbox, order_id, 40.00))["status"] == "SUCCESS"  # the full rest
    assert await _status(sandbox, order_id) == "RETURNED"
