"""Outcomes whose webhooks never arrive are fetched with GET /v1/orders/{id} and published once.

The sandbox has no webhook URL, so its rescue and expiry notifications are lost. The store is
seeded with the two orders as a worker would have recorded them, but with an expiry already
past: a worker always asks Flex for a window of at least a day of real time, which the
reconciler's expiry-plus-grace rule would make a test wait for. Everything else is real: the
``flexmit webhooks`` process and its reconciler, the sandbox over HTTP, the broker, the store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from consumer.devstack.ports import free_port
from consumer.events import OrderStatus, OrderStatusChanged, StatusSource, derive_id
from consumer.store import open_store
from tests import flex_requests
from tests.worker_harness import Stack


def place(stack: Stack, card: str) -> tuple[str, str]:
    """A managed MIT placed with the sandbox: (merchant order id, Flex order id)."""
    sandbox = stack.sandbox
    with httpx.Client(base_url=sandbox.base_url) as client:
        token = client.post(
            "oauth2/token", json={"AppKey": sandbox.app_key, "AppSecret": sandbox.app_secret}
        ).json()["accessToken"]
        body = flex_requests.evaluate(datetime.now(UTC), card=card)
        answer = client.post("evaluate", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.json()["status"] == "SUBMITTED"
    return body["orderId"], answer.json()["orderId"]


async def recorded(store_url: str, orders: dict[str, tuple[str, str]]) -> None:
    """The orders as SUBMITTED in our store, their expiry a minute ago."""
    store = open_store(store_url, "test-seed")
    try:
        for tx, (merchant_order, flex_order) in orders.items():
            await store.begin_evaluation(tx, merchant_order, 4999, "USD")
            submitted = OrderStatusChanged(
                event_id=derive_id(tx, "status", OrderStatus.SUBMITTED), causation_id=tx,
                transaction_id=tx, merchant_order_id=merchant_order, status=OrderStatus.SUBMITTED,
                amount_minor=4999, currency="USD", source=StatusSource.WORKER,
                occurred_at=datetime.now(UTC),
            )  # fmt: skip
            await store.finish("evaluate", tx, submitted, flex_order, time.time() - 60)
    finally:
        store.close()


def test_the_reconciler_publishes_what_flex_decided_when_no_webhook_came(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("sqlite", time_scale=3e6)  # no webhook_url: every webhook is lost
    orders = {
        "tx-rescued": place(stack, flex_requests.RESCUED_CARD),
        "tx-expired": place(stack, flex_requests.DECLINED_CARD),
    }
    final = {"COMPLETED", "CANCELLED"}
    stack.sandbox.admin.wait_for(
        lambda ledger: {o.status_name for o in ledger.orders.values()} == final
    )
    asyncio.run(recorded(stack.store_url, orders))
    stack.start_receiver(
        free_port(),
        FLEXMIT_WEBHOOKS__RECONCILE_INTERVAL="0.2",
        FLEXMIT_WEBHOOKS__RECONCILE_GRACE="0",
    )

    found = stack.read(stack.topics.order_status, lambda outputs: len(outputs) >= 2)
    # No signal marks a reconciliation round from outside: give it five more (0.2 s apart),
    # which must publish nothing more.
    time.sleep(1.0)
    outputs = [o.json() for o in stack.read_all(stack.topics.order_status)]
    assert len(found) == 2
    assert sorted((e["transaction_id"], e["status"], e["source"]) for e in outputs) == [
        ("tx-expired", "EXPIRED", "reconciler"),
        ("tx-rescued", "APPROVED", "reconciler"),
    ]
    for event in outputs:
        assert event["order_session_key"] == orders[event["transaction_id"]][1]
    endpoints = stack.sandbox.admin.ledger_json()["endpoints"]
    # One lookup per order: once settled, an order is no longer SUBMITTED and never asked again.
    assert endpoints["GET /v1/orders/{id}"]["calls"] == 2
    assert [d.error for d in stack.sandbox.admin.ledger().webhooks] == [
        "no webhook URL configured"
    ] * 2
