"""Refunds and cancels are checked against the store, reach Flex once, and always get an answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumer import events
from consumer.events import OrderStatus, OrderStatusChanged, StatusSource
from consumer.processing.commands import CommandHandler, CommandPolicy
from consumer.processing.outcome import Outcome
from consumer.store import Receipt, Store
from tests.store_fixtures import FakeClock, make_store
from tests.unit.flex.fakes import Harness, harness, json_response
from tests.unit.processing.test_declined import Published

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


@dataclass
class World:
    store: Store
    flex: Harness
    published: Published
    handler: CommandHandler


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    store = make_store(f"sqlite:///{tmp_path / 'store.db'}", "worker-a", FakeClock())
    await store.heartbeat()
    flex, published = harness(), Published()
    handler = CommandHandler(store, flex.client, published, CommandPolicy(), lambda: NOW)
    yield World(store, flex, published, handler)
    store.close()


def status(tx: str, value: OrderStatus) -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=events.derive_id(tx, "status", value), causation_id=tx, transaction_id=tx,
        merchant_order_id=f"ord-{tx}", status=value, amount_minor=5000, currency="USD",
        source=StatusSource.WORKER, occurred_at=NOW,
    )  # fmt: skip


async def order(world: World, tx: str, *, approved: bool = True, flex_id: bool = True) -> None:
    await world.store.begin_evaluation(tx, f"ord-{tx}", 5000, "USD")
    if not flex_id:
        return
    await world.store.finish("evaluate", tx, status(tx, OrderStatus.SUBMITTED), f"flex-{tx}")
    if approved:
        await world.store.apply(status(tx, OrderStatus.APPROVED))


def refund(tx: str, amount: int | None = None, command_id: str | None = None) -> bytes:
    command = events.RefundRequested(
        command_id=command_id or str(uuid.uuid4()), transaction_id=tx, amount_minor=amount,
        reason="customer request", requested_at=NOW,
    )  # fmt: skip
    return command.model_dump_json().encode()


def cancel(tx: str) -> bytes:
    command = events.CancelRequested(command_id=str(uuid.uuid4()), transaction_id=tx,
                                     requested_at=NOW)  # fmt: skip
    return command.model_dump_json().encode()


REFUNDED = json_response(200, {"status": "SUCCESS", "success": True, "responseCode": "0"})


def results(world: World) -> list[dict[str, Any]]:
    return [event for _, event in world.published.events]


async def test_two_partial_refunds_sum_to_the_total_and_a_third_is_refused_locally(
    world: World,
) -> None:
    await order(world, "tx-1")
    world.flex.flex.script("/v1/orders/flex-tx-1/refund", REFUNDED, REFUNDED)
    assert await world.handler.handle(refund("tx-1", 2000)) is Outcome.REFUNDED
    assert await world.handler.handle(refund("tx-1", 3000)) is Outcome.REFUNDED
    assert await world.handler.handle(refund("tx-1", 1)) is Outcome.REFUSED

    first, second, third = results(world)
    assert (first["status"], first["refunded_minor"], first["remaining_minor"]) == (
        "PARTIALLY_REFUNDED", 2000, 3000,
    )  # fmt: skip
    assert (second["status"], second["refunded_minor"], second["remaining_minor"]) == (
        "REFUNDED", 5000, 0,
    )  # fmt: skip
    assert (third["status"], third["reason_code"]) == ("REFUND_FAILED", "EXCEEDS_REMAINING")
    bodies = [r.content for r in world.flex.flex.to("/v1/orders/flex-tx-1/refund")]
    assert [json.loads(b)["amountToRefund"] for b in bodies] == [20.0, 30.0]
    assert b'"amountToRefund":20.00' in bodies[0]


async def test_the_same_command_three_times_refunds_once(world: World) -> None:
    await order(world, "tx-2")
    world.flex.flex.script("/v1/orders/flex-tx-2/refund", REFUNDED)
    raw = refund("tx-2", command_id="cmd-42")
    outcomes = [await world.handler.handle(raw) for _ in range(3)]
    assert outcomes == [Outcome.REFUNDED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert len(world.flex.flex.to("/v1/orders/flex-tx-2/refund")) == 1
    assert len({json.dumps(event) for event in results(world)}) == 1
    (body,) = world.flex.flex.bodies("/v1/orders/flex-tx-2/refund")
    assert "cmd-42" in body["refundMessage"]


async def test_refund_flex_refuses_is_reported_with_its_code_and_releases_the_amount(
    world: World,
) -> None:
    await order(world, "tx-3")
    refused = json_response(200, {
        "status": "FAILED", "success": False, "responseCode": "2001",
        "responseMessage": "Amount to refund (50.00) is greater than maximum refund amount",
    })  # fmt: skip
    world.flex.flex.script("/v1/orders/flex-tx-3/refund", refused, REFUNDED)
    assert await world.handler.handle(refund("tx-3")) is Outcome.FAILED
    (failed,) = results(world)
    assert (failed["status"], failed["flex_code"]) == ("REFUND_FAILED", "2001")
    assert "greater than maximum" in failed["flex_message"]
    assert await world.handler.handle(refund("tx-3")) is Outcome.REFUNDED  # nothing was held


async def test_refund_of_an_order_flex_still_holds_is_refused(world: World) -> None:
    await order(world, "tx-4", approved=False)
    assert await world.handler.handle(refund("tx-4")) is Outcome.REFUSED
    assert results(world)[0]["reason_code"] == "NOT_REFUNDABLE"
    assert world.flex.flex.to("/v1/orders/flex-tx-4/refund") == []


async def test_refund_of_an_unknown_transaction_is_answered_without_an_order(
    world: World,
) -> None:
    assert await world.handler.handle(refund("tx-nobody")) is Outcome.REFUSED
    (answer,) = results(world)
    assert (answer["status"], answer["reason_code"]) == ("REFUND_FAILED", "UNKNOWN_TRANSACTION")
    assert answer["merchant_order_id"] is None


async def test_cancel_of_a_submitted_order_sticks_against_later_webhooks(world: World) -> None:
    await order(world, "tx-5", approved=False)
    assert await world.handler.handle(cancel("tx-5")) is Outcome.CANCELLED
    assert len(world.flex.flex.to("/v1/orders/flex-tx-5/cancel")) == 1
    assert results(world)[0]["status"] == "CANCELLED"
    late = await world.store.apply_webhook(
        "flex-tx-5", None, "order.completed", lambda o: status("tx-5", OrderStatus.APPROVED)
    )
    assert late.receipt is Receipt.REGRESSION


async def test_cancel_of_an_approved_order_points_to_refund(world: World) -> None:
    await order(world, "tx-6")
    assert await world.handler.handle(cancel("tx-6")) is Outcome.REFUSED
    (answer,) = results(world)
    assert (answer["status"], answer["reason_code"]) == ("CANCEL_FAILED", "ALREADY_CAPTURED")
    assert "refund" in answer["reason"]


async def test_cancel_before_flex_answered_uses_the_merchant_order_id(world: World) -> None:
    await order(world, "tx-7", flex_id=False)
    assert await world.handler.handle(cancel("tx-7")) is Outcome.CANCELLED
    assert len(world.flex.flex.to("/v1/orders/ord-tx-7/external-cancel")) == 1
    stored = await world.store.get_order("tx-7")
    assert stored is not None
    assert stored.status == "CANCELLED"


async def test_flex_refusing_a_cancel_is_reported_not_dead_lettered(world: World) -> None:
    await order(world, "tx-8", approved=False)
    conflict = json_response(409, {"title": "Order cannot be cancelled", "status": 409})
    world.flex.flex.script("/v1/orders/flex-tx-8/cancel", conflict)
    assert await world.handler.handle(cancel("tx-8")) is Outcome.FAILED
    (answer,) = results(world)
    assert (answer["status"], answer["flex_code"]) == ("CANCEL_FAILED", "409")
