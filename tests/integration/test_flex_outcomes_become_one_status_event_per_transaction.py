"""Evaluated declines whose rescue or expiry Flex signs and posts become one status event each.

Real pieces throughout: a ``flexmit worker`` and a ``flexmit webhooks`` process, the broker,
a SQLite store they share, and the sandbox with time compressed so a 21-day rescue window
passes in well under a second. Rescues may come before the worker has recorded Flex's answer
to /evaluate; the receiver then answers 503 and the sandbox resends.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

from consumer import events
from consumer.devstack.ports import free_port
from tests import factories
from tests.worker_harness import Output, Stack

# The sandbox's test cards (docs/sandbox.md), by BIN and last four: rescued, and expires.
RESCUED = {"bin": "400000", "last4": "3184"}
EXPIRES = {"bin": "400030", "last4": "2220"}


def declined(card: dict[str, str]) -> events.PaymentDeclined:
    """A just-failed MIT with the given test card."""
    base = factories.declined()
    return factories.declined(card=base.card.model_copy(update=card | {"token": str(uuid.uuid4())}))


def webhook_stack(stack_factory: Callable[..., Stack], **sandbox: object) -> tuple[Stack, int]:
    """A stack whose sandbox posts signed webhooks, fast, to a receiver on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/flex"
    settings = {"time_scale": 3e6, "webhook_url": url, "webhook_backoff": 0.1,
                "webhook_backoff_max": 0.5, "webhook_max_attempts": 20} | sandbox  # fmt: skip
    return stack_factory("sqlite", **settings), port


def deliveries_settled(stack: Stack, orders: int) -> Callable[[], bool]:
    """True once every order's webhook was acknowledged and none is still on its way."""

    def settled() -> bool:
        ledger = stack.sandbox.admin.ledger_json()
        acknowledged = {d["orderId"] for d in ledger["webhooks"] if d["responseCode"] == 200}
        return ledger["pending"]["webhooks"] == 0 and len(acknowledged) == orders

    return settled


def by_source(outputs: list[Output], source: str) -> list[dict[str, object]]:
    return [o.json() for o in outputs if o.json()["source"] == source]


def test_each_rescue_and_expiry_is_published_once_with_its_transaction_id(
    stack_factory: Callable[..., Stack],
) -> None:
    stack, port = webhook_stack(stack_factory)
    receiver = stack.start_receiver(port)
    stack.start_worker()
    rescued = [declined(RESCUED) for _ in range(4)]
    expiring = [declined(EXPIRES) for _ in range(4)]
    stack.produce(stack.topics.declined, rescued + expiring)

    stack.wait_until(deliveries_settled(stack, 8), 45, "every webhook acknowledged")
    outputs = stack.read_all(stack.topics.order_status)

    from_webhooks = by_source(outputs, "webhook")
    expected = {d.transaction_id: "APPROVED" for d in rescued} | {
        d.transaction_id: "EXPIRED" for d in expiring
    }
    assert {e["transaction_id"]: e["status"] for e in from_webhooks} == expected
    assert len(from_webhooks) == len(expected), "exactly one status event per transaction"
    assert all(o.key and o.key.decode() == o.json()["transaction_id"] for o in outputs)
    submitted = Counter(e["transaction_id"] for e in by_source(outputs, "worker"))
    assert submitted == dict.fromkeys(expected, 1)
    ledger = stack.sandbox.admin.ledger_json()
    flex_ids = {o["externalOrderId"]: o["id"] for o in ledger["orders"].values()}
    for event in from_webhooks:
        assert event["order_session_key"] == flex_ids[event["merchant_order_id"]]
    assert stack.read_all(stack.topics.flex_events) == []
    assert receiver.terminate() == 0, receiver.output()  # SIGTERM: a clean stop
