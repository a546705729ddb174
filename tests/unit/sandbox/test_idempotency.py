"""Evaluate is idempotent by key and by merchant orderId: one order, however often it is sent."""

from __future__ import annotations

import uuid

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness


async def test_same_key_and_body_replays_the_answer(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    first = await sandbox.post("/v1/evaluate", body)
    # Key order and key casing do not make it another request.
    reordered = {key.upper(): body[key] for key in reversed(list(body))}
    second = await sandbox.post("/v1/evaluate", reordered)
    assert second.status_code == 200
    assert second.json() == first.json()
    ledger = await sandbox.ledger()
    assert len(ledger["orders"]) == 1
    stats = ledger["evaluations"]["byIdempotencyKey"][body["idempotencyKey"]]
    assert (stats["calls"], stats["replays"], stats["conflicts"]) == (2, 1, 0)


async def test_same_key_with_another_body_is_a_conflict(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    await sandbox.post("/v1/evaluate", body)
    changed = body | {"transaction": flex_requests.transaction(amount=5999)}
    response = await sandbox.post("/v1/evaluate", changed)
    assert response.status_code == 409
    assert response.json()["status"] == 409
    ledger = await sandbox.ledger()
    assert len(ledger["orders"]) == 1
    assert ledger["evaluations"]["byIdempotencyKey"][body["idempotencyKey"]]["conflicts"] == 1


async def test_new_key_same_order_id_returns_the_order_in_progress(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    first = (await sandbox.post("/v1/evaluate", body)).json()
    retry = await sandbox.post("/v1/evaluate", body | {"idempotencyKey": str(uuid.uuid4())})
    assert retry.json()["status"] == "SUBMITTED"
    assert retry.json()["orderSessionKey"] == first["orderSessionKey"]
    per_order = (await sandbox.ledger())["evaluations"]["byOrderId"][body["orderId"]]
    assert per_order == {"calls": 2, "flexOrderIds": [first["orderId"]]}


async def test_a_retry_after_the_rescue_sees_the_current_state(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    await sandbox.post("/v1/evaluate", body)
    await sandbox.advance(days=21)
    retry = await sandbox.post("/v1/evaluate", body | {"idempotencyKey": str(uuid.uuid4())})
    assert retry.json()["status"] == "APPROVED"
    assert len((await sandbox.ledger())["orders"]) == 1


async def test_a_replay_is_answered_even_after_the_expiry_date(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    first = await sandbox.post("/v1/evaluate", body)
    await sandbox.advance(days=30)
    assert (await sandbox.post("/v1/evaluate", body)).json() == first.json()


async def test_a_rejected_request_does_not_use_up_its_key(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    invalid = body | {"transaction": flex_requests.transaction(amount=5)}
    assert (await sandbox.post("/v1/evaluate", invalid)).status_code == 400
    assert (await sandbox.post("/v1/evaluate", body)).status_code == 200
