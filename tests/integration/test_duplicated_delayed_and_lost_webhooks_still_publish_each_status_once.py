"""Duplicated, reordered and lost-then-resent webhooks still give one event id per status.

The sandbox injects all three webhook faults while it rescues, expires and (on our refund
commands) refunds orders; a worker and a receiver process handle them against the real broker.
Whatever arrives twice or late, each (transaction, status) has exactly one event id, no order
is published both rescued and expired, and our own refunds are reported by their commands only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from consumer import events
from tests.webhook_stack import (
    EXPIRES,
    RESCUED,
    declined,
    webhook_stack,
)
from tests.worker_harness import Output, Stack

FAULTS = {
    "webhook_duplicate_rate": 0.5,
    "webhook_reorder_rate": 0.5,
    "webhook_reorder_delay_seconds": 0.3,
    "webhook_fail_first_rate": 0.5,
}


def acknowledged(stack: Stack, notifications: int) -> Callable[[], bool]:
    """True once ``notifications`` distinct (order, event) were acknowledged and none is pending."""

    def done() -> bool:
        ledger = stack.sandbox.admin.ledger_json()
        ok = {(d["orderId"], d["event"]) for d in ledger["webhooks"] if d["responseCode"] == 200}
        return ledger["pending"]["webhooks"] == 0 and len(ok) == notifications

    return done


def statuses_of(outputs: list[Output]) -> list[dict[str, object]]:
    return [output.json() for output in outputs]


def refund(tx: str, amount: int | None) -> events.RefundRequested:
    return events.RefundRequested(command_id=str(uuid.uuid4()), transaction_id=tx,
                                  amount_minor=amount, requested_at=datetime.now(UTC))  # fmt: skip


def test_faulty_deliveries_still_give_one_event_id_per_status_and_no_regression(
    stack_factory: Callable[..., Stack],
) -> None:
    stack, port = webhook_stack(stack_factory, faults=FAULTS)
    stack.start_receiver(port)
    stack.start_worker()
    rescued = [declined(RESCUED) for _ in range(4)]
    expiring = [declined(EXPIRES) for _ in range(4)]
    stack.produce(stack.topics.declined, rescued + expiring)
    stack.wait_until(acknowledged(stack, 8), 45, "rescues and expiries acknowledged")

    # Refund the rescued ones, two in full and two in part: Flex sends order.refunded for each.
    amounts = [None, None, 1000, 1000]
    commands = [refund(d.transaction_id, a) for d, a in zip(rescued, amounts, strict=True)]
    stack.produce(stack.topics.commands, commands)
    stack.wait_until(acknowledged(stack, 12), 45, "refund notifications acknowledged")
    stack.read(  # the worker has answered every command
        stack.topics.order_status,
        lambda found: sum(1 for o in found if o.json()["source"] == "command") == len(commands),
    )
    outputs = statuses_of(stack.read_all(stack.topics.order_status))

    ids: dict[tuple[object, object], set[object]] = defaultdict(set)
    for event in outputs:
        ids[event["transaction_id"], event["status"]].add(event["event_id"])
    assert all(len(found) == 1 for found in ids.values()), ids

    seen: dict[object, set[tuple[object, object]]] = defaultdict(set)
    for event in outputs:
        seen[event["transaction_id"]].add((event["status"], event["source"]))
    for d, amount in zip(rescued, amounts, strict=True):
        refunded = "REFUNDED" if amount is None else "PARTIALLY_REFUNDED"
        assert seen[d.transaction_id] == {
            ("SUBMITTED", "worker"), ("APPROVED", "webhook"), (refunded, "command"),
        }  # fmt: skip
    for d in expiring:
        assert seen[d.transaction_id] == {("SUBMITTED", "worker"), ("EXPIRED", "webhook")}

    deliveries = stack.sandbox.admin.ledger_json()["webhooks"]
    assert any(d["duplicate"] for d in deliveries), "the duplicate fault was exercised"
    assert any(d["error"] == "dropped by fault injection" for d in deliveries)
    assert any(d["isResent"] and d["responseCode"] == 200 for d in deliveries)
