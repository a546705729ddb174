"""A declined payment reaches Flex once, or is refused, parked or given up with a reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from consumer import events
from consumer.flex import evaluate_idempotency_key
from consumer.processing.declined import DeclinedHandler, DeclinedPolicy
from consumer.processing.eligibility import Rules
from consumer.processing.outcome import Outcome, Rejected
from consumer.store import ClaimState, Store
from tests import factories
from tests.store_fixtures import FakeClock, make_store
from tests.unit.flex.fakes import Harness, harness, json_response

WINDOW = timedelta(days=21)


@dataclass
class Published:
    """A publish function recording (key, event)."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(self, key: str, payload: str) -> None:
        self.events.append((key, json.loads(payload)))


@dataclass
class World:
    store: Store
    flex: Harness
    published: Published
    handler: DeclinedHandler
    now: datetime
    clock: FakeClock


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    declined_at = factories.declined().occurred_at
    clock = FakeClock()
    store = make_store(f"sqlite:///{tmp_path / 'store.db'}", "worker-a", clock)
    await store.heartbeat()
    flex, published = harness(), Published()
    policy = DeclinedPolicy(Rules(max_age=timedelta(hours=24)), WINDOW)
    now = declined_at + timedelta(minutes=5)
    handler = DeclinedHandler(store, flex.client, published, policy, lambda: now)
    yield World(store, flex, published, handler, now, clock)
    store.close()


def evaluate_answers(world: World, *answers: Any) -> None:
    world.flex.flex.script("/v1/evaluate", *answers)


SUBMITTED = json_response(
    200, {"orderSessionKey": "flex-order-1", "orderId": "flex-order-1", "status": "SUBMITTED",
          "success": True, "result": "Success"},
)  # fmt: skip


async def test_eligible_decline_is_submitted_once_and_its_status_published(world: World) -> None:
    declined = factories.declined()
    evaluate_answers(world, SUBMITTED)
    raw = declined.model_dump_json().encode()
    assert await world.handler.handle(raw) is Outcome.SUBMITTED
    assert await world.handler.handle(raw) is Outcome.DUPLICATE  # redelivered

    (body,) = world.flex.flex.bodies("/v1/evaluate")
    expires = declined.occurred_at + WINDOW
    assert body["isMIT"] is True
    assert body["isRecurring"] is True
    assert body["paymentMethod"]["cardNumber"] == declined.card.token
    assert body["senseKey"] == declined.sense_key
    assert body["orderId"] == declined.merchant_order_id
    assert datetime.fromisoformat(body["expiryDateUtc"]) == expires
    assert body["idempotencyKey"] == str(evaluate_idempotency_key(declined.transaction_id))
    assert body["subscription"]["price"] == "49.99"

    first, again = world.published.events
    assert first == again  # the same event, same id, re-published
    key, event = first
    assert key == declined.transaction_id
    assert event["status"] == "SUBMITTED"
    assert event["order_session_key"] == "flex-order-1"
    assert datetime.fromisoformat(event["do_not_retry_until"]) == expires
    assert event["event_id"] == str(
        events.derive_id(declined.transaction_id, "status", "SUBMITTED")
    )
    order = await world.store.get_order(declined.transaction_id)
    assert order is not None
    assert (order.status, order.flex_order_id) == ("SUBMITTED", "flex-order-1")


async def test_outcomes_are_reported_by_decline_code(world: World) -> None:
    seen: list[tuple[str, str]] = []
    handler = DeclinedHandler(
        world.store, world.flex.client, world.published,
        DeclinedPolicy(Rules(max_age=timedelta(hours=24)), WINDOW), lambda: world.now,
        observe=lambda code, outcome: seen.append((code, outcome)),
    )  # fmt: skip
    evaluate_answers(world, SUBMITTED)
    await handler.handle(factories.declined().model_dump_json().encode())
    await handler.handle(factories.declined(is_mit=False).model_dump_json().encode())
    assert seen == [("05", "submitted"), ("05", "not_eligible")]


async def test_redelivery_after_the_order_moved_on_republishes_with_the_older_sequence(
    world: World,
) -> None:
    declined = factories.declined()
    evaluate_answers(world, SUBMITTED)
    raw = declined.model_dump_json().encode()
    await world.handler.handle(raw)
    rescued = events.OrderStatusChanged.model_validate_json(
        json.dumps(world.published.events[0][1])
    ).model_copy(update={"event_id": events.derive_id(declined.transaction_id, "status",
                                                        "APPROVED"),
                         "status": events.OrderStatus.APPROVED})  # fmt: skip
    await world.store.apply(rescued)
    assert await world.handler.handle(raw) is Outcome.DUPLICATE
    # The crash may have come before the first send; the sequence says it is the older status.
    assert [(e["status"], e["sequence"]) for _, e in world.published.events] == [
        ("SUBMITTED", 1), ("SUBMITTED", 1),
    ]  # fmt: skip


async def test_customer_initiated_decline_is_refused_without_calling_flex(world: World) -> None:
    declined = factories.declined(is_mit=False)
    assert await world.handler.handle(declined.model_dump_json().encode()) is Outcome.NOT_ELIGIBLE
    assert world.flex.flex.to("/v1/evaluate") == []
    ((_, event),) = world.published.events
    assert (event["status"], event["reason_code"]) == ("NOT_ELIGIBLE", "CUSTOMER_INITIATED")


async def test_second_transaction_of_an_order_flex_holds_is_not_sent_again(world: World) -> None:
    first = factories.declined()
    retry = factories.declined(merchant_order_id=first.merchant_order_id)
    evaluate_answers(world, SUBMITTED)
    await world.handler.handle(first.model_dump_json().encode())
    assert await world.handler.handle(retry.model_dump_json().encode()) is Outcome.NOT_ELIGIBLE
    assert len(world.flex.flex.to("/v1/evaluate")) == 1
    assert world.published.events[-1][1]["reason_code"] == "ALREADY_HELD_BY_FLEX"


async def test_flex_outage_parks_the_decline_without_publishing(world: World) -> None:
    declined = factories.declined()
    evaluate_answers(world, *[json_response(503, {})] * 4)
    raw = declined.model_dump_json().encode()
    assert await world.handler.handle(raw) is Outcome.PARKED
    assert world.published.events == []
    assert (await world.store.claim("evaluate", declined.transaction_id)).state is (
        ClaimState.SCHEDULED
    )
    assert await world.handler.handle(raw) is Outcome.PARKED  # a duplicate while parked


async def test_parked_decline_past_its_deadline_is_cancelled_at_flex_and_not_submitted(
    world: World,
) -> None:
    declined = factories.declined()
    raw = declined.model_dump_json().encode()
    evaluate_answers(world, *[json_response(503, {})] * 4)
    assert await world.handler.handle(raw) is Outcome.PARKED
    # The retry runner picks it up after the same-day deadline has passed.
    late = declined.occurred_at + timedelta(hours=24, seconds=1)
    handler = DeclinedHandler(
        world.store, world.flex.client, world.published,
        DeclinedPolicy(Rules(max_age=timedelta(hours=24)), WINDOW), lambda: late,
    )  # fmt: skip
    world.clock.now += 3600
    await world.store.heartbeat()
    (job,) = await world.store.take_due(10)
    assert await handler.handle(job.payload.encode()) is Outcome.NOT_SUBMITTED
    assert len(world.flex.flex.to("/v1/evaluate")) == 4  # the first attempt's only
    cancels = world.flex.flex.to(f"/v1/orders/{declined.merchant_order_id}/external-cancel")
    assert len(cancels) == 1
    ((_, event),) = world.published.events
    assert (event["status"], event["reason_code"]) == ("NOT_SUBMITTED", "FLEX_UNREACHABLE")


async def test_refused_request_publishes_failed_and_a_corrected_replay_gets_a_new_key(
    world: World,
) -> None:
    declined = factories.declined()
    problem = {
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {"Transaction.ResponseCode": ["The ResponseCode field is required."]},
    }
    evaluate_answers(world, json_response(400, problem), SUBMITTED)
    raw = declined.model_dump_json().encode()
    with pytest.raises(Rejected, match=r"Transaction\.ResponseCode"):
        await world.handler.handle(raw)
    ((_, failed),) = world.published.events
    assert (failed["status"], failed["flex_code"]) == ("FAILED", "400")

    assert await world.handler.handle(raw) is Outcome.SUBMITTED  # replayed after a fix
    keys = [body["idempotencyKey"] for body in world.flex.flex.bodies("/v1/evaluate")]
    assert keys == [
        str(evaluate_idempotency_key(declined.transaction_id, 0)),
        str(evaluate_idempotency_key(declined.transaction_id, 1)),
    ]
