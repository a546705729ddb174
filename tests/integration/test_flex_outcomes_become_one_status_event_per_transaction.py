"""Evaluated declines whose rescue or expiry Flex signs and posts become one status event each.

Real pieces throughout: a ``flexmit worker`` and a ``flexmit webhooks`` process, the broker,
a SQLite store they share, and the sandbox with time compressed so a 21-day rescue window
passes in well under a second. Rescues may come before the worker has recorded Flex's answer
to /evaluate; the receiver then answers 503 and the sandbox resends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tests.webhook_stack import (
    EXPIRES,
    RESCUED,
    by_source,
    declined,
    deliveries_settled,
    webhook_stack,
)
from tests.worker_harness import Stack


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
