"""Orders overdue at SUBMITTED are looked up at Flex and settled through the webhook path."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from consumer.store import Store
from consumer.webhooks.intake import Intake
from consumer.webhooks.reconciler import Reconciler, Schedule
from tests.kafka_support import until
from tests.store_fixtures import FakeClock
from tests.unit.flex.fakes import Harness, harness, json_response
from tests.unit.webhooks.support import NOW, Published, app_client, notification, submitted

EXPIRY = NOW.timestamp() - 7200  # two hours ago: past the one-hour grace


@dataclass
class World:
    store: Store
    flex: Harness
    published: Published
    reconciler: Reconciler


@pytest.fixture
def world(store: Store, published: Published) -> World:
    flex = harness()
    intake = Intake(store, published, lambda: NOW)
    reconciler = Reconciler(store, flex.client, intake, Schedule(grace=3600, batch=2))
    return World(store, flex, published, reconciler)


def flex_says(world: World, tx: str, status: int, name: str) -> None:
    body = {"id": f"flex-{tx}", "status": status, "statusName": name}
    world.flex.flex.script(f"/v1/orders/flex-{tx}", json_response(200, body))


def published_statuses(world: World) -> list[tuple[str, str, str]]:
    return [(tx, e["status"], e["source"]) for tx, e in world.published.statuses]


async def test_a_completed_order_whose_webhook_was_lost_is_published_approved(
    world: World,
) -> None:
    await submitted(world.store, "tx-1", EXPIRY)
    flex_says(world, "tx-1", 7, "COMPLETED")
    assert await world.reconciler.run_once() == 1
    assert published_statuses(world) == [("tx-1", "APPROVED", "reconciler")]
    assert len(world.flex.flex.to("/v1/orders/flex-tx-1")) == 1


async def test_a_webhook_arriving_after_reconciliation_is_a_duplicate_with_the_same_id(
    world: World,
) -> None:
    await submitted(world.store, "tx-1", EXPIRY)
    flex_says(world, "tx-1", 7, "COMPLETED")
    await world.reconciler.run_once()
    late = app_client(world.store, world.published)
    response = await late.post(notification("order.completed"))
    assert response.json() == {"result": "duplicate"}
    ids = {event["event_id"] for _, event in world.published.statuses}
    assert len(ids) == 1


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        (2, "CANCELLED", ["EXPIRED"]),
        (6, "RETURNED", ["APPROVED", "REFUNDED"]),
        (5, "CAPTUREREQUIRED", ["CAPTURE_REQUIRED"]),
    ],
)
async def test_flexs_final_states_become_the_statuses_their_webhooks_would_have(
    world: World, code: int, name: str, expected: list[str]
) -> None:
    await submitted(world.store, "tx-1", EXPIRY)
    flex_says(world, "tx-1", code, name)
    await world.reconciler.run_once()
    assert [status for _, status, _ in published_statuses(world)] == expected
    order = await world.store.get_order("tx-1")
    assert order is not None
    assert order.status == expected[-1]


@pytest.mark.parametrize(("code", "name"), [(4, "PROCESSING"), (1, "ONHOLD"), (3, "PROBLEM")])
async def test_an_order_flex_still_works_on_is_left_and_asked_about_again(
    world: World, code: int, name: str
) -> None:
    await submitted(world.store, "tx-1", EXPIRY)
    flex_says(world, "tx-1", code, name)
    assert await world.reconciler.run_once() == 0
    await world.reconciler.run_once()
    assert world.published.statuses == []
    assert len(world.flex.flex.to("/v1/orders/flex-tx-1")) == 2


async def test_an_order_flex_does_not_know_does_not_stop_the_others(world: World) -> None:
    await submitted(world.store, "tx-1", EXPIRY)
    await submitted(world.store, "tx-2", EXPIRY + 1)
    world.flex.flex.script("/v1/orders/flex-tx-1", json_response(404, {"title": "Not found"}))
    flex_says(world, "tx-2", 7, "COMPLETED")
    assert await world.reconciler.run_once() == 1
    assert published_statuses(world) == [("tx-2", "APPROVED", "reconciler")]


async def test_an_order_within_its_grace_period_is_not_looked_up(
    world: World, clock: FakeClock
) -> None:
    await submitted(world.store, "tx-1", NOW.timestamp() - 60)
    assert await world.reconciler.run_once() == 0
    assert world.flex.flex.to("/v1/orders/flex-tx-1") == []


async def test_one_round_pages_through_every_overdue_order(world: World) -> None:
    for number in range(5):  # pages of two
        await submitted(world.store, f"tx-{number}", EXPIRY + number)
        flex_says(world, f"tx-{number}", 7, "COMPLETED")
    assert await world.reconciler.run_once() == 5
    assert sorted(tx for tx, _, _ in published_statuses(world)) == [f"tx-{n}" for n in range(5)]


async def test_rounds_repeat_until_stopped(store: Store, published: Published) -> None:
    flex = harness()
    intake = Intake(store, published, lambda: NOW)
    reconciler = Reconciler(store, flex.client, intake, Schedule(interval=0.01, grace=3600))
    await submitted(store, "tx-1", EXPIRY)  # Flex answers nothing useful: asked every round
    stop = asyncio.Event()
    running = asyncio.create_task(reconciler.run(stop))
    await until(lambda: len(flex.flex.to("/v1/orders/flex-tx-1")) >= 3, deadline=10)
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_a_stop_request_ends_the_round_between_orders(world: World) -> None:
    for number in range(3):
        await submitted(world.store, f"tx-{number}", EXPIRY + number)
        flex_says(world, f"tx-{number}", 7, "COMPLETED")
    stop = asyncio.Event()
    stop.set()
    assert await world.reconciler.run_once(stop) == 0
    assert world.published.statuses == []
