"""The ledger shows every call and effect, keyed the way exactly-once is judged."""

from __future__ import annotations

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness


async def test_calls_are_counted_per_endpoint_and_status(sandbox: Harness) -> None:
    await sandbox.evaluate()
    await sandbox.evaluate(amount=5)
    await sandbox.client.post("/v1/evaluate", json={})
    order_id = (await sandbox.evaluate()).json()["orderId"]
    await sandbox.get(f"/v1/orders/{order_id}")
    endpoints = (await sandbox.ledger())["endpoints"]
    assert endpoints["POST /v1/evaluate"] == {
        "calls": 4,
        "statuses": {"200": 2, "400": 1, "401": 1},
    }
    assert endpoints["GET /v1/orders/{id}"] == {"calls": 1, "statuses": {"200": 1}}
    assert endpoints["POST /v1/oauth2/token"]["calls"] == 1


async def test_transmits_are_stored_once_per_transaction_id(sandbox: Harness) -> None:
    answers = [
        (await sandbox.post("/v1/transmit", flex_requests.transmit("tx-1"))).json(),
        (await sandbox.post("/v1/transmit", flex_requests.transmit("tx-1"))).json(),
        (await sandbox.post("/v1/transmit", flex_requests.transmit("tx-2"))).json(),
    ]
    assert answers[0]["transmitId"] == answers[1]["transmitId"] != answers[2]["transmitId"]
    assert answers[0]["status"] == 0
    assert answers[0]["success"] is True
    transmits = (await sandbox.ledger())["transmits"]
    assert set(transmits) == {"tx-1", "tx-2"}
    assert transmits["tx-1"]["calls"] == 2
    assert transmits["tx-1"]["mid"] == flex_requests.MID
    assert transmits["tx-1"]["isDeclined"] is False


async def test_transmit_refuses_a_card_number(sandbox: Harness) -> None:
    body = flex_requests.transmit("tx-pan")
    body["paymentMethod"]["cardNumber"] = flex_requests.RESCUED_CARD
    response = await sandbox.post("/v1/transmit", body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["PaymentMethod.CardNumber"]
    assert (await sandbox.ledger())["transmits"] == {}


async def test_orders_carry_amounts_plan_and_history(sandbox: Harness) -> None:
    order_id = (await sandbox.evaluate(amount=4242, card=flex_requests.OTHER_CARD)).json()[
        "orderId"
    ]
    await sandbox.advance(days=21)
    order = (await sandbox.ledger())["orders"][order_id]
    assert order["kind"] == "MANAGED_MIT"
    assert (order["amount"], order["capturedAmount"], order["refundedAmount"]) == (4242, 4242, 0)
    assert order["plannedOutcome"] == "rescue"
    assert [step["statusName"] for step in order["history"]] == [
        "DRAFT",
        "PROCESSING",
        "COMPLETED",
    ]
    assert order["history"][-1]["at"] == order["plannedAt"]


async def test_reset_forgets_everything(sandbox: Harness) -> None:
    await sandbox.evaluate()
    await sandbox.client.post("/_sandbox/reset")
    ledger = await sandbox.ledger()
    assert ledger["orders"] == {}
    assert ledger["endpoints"] == {}
    assert ledger["pending"] == {"timers": 0, "webhooks": 0}
