"""Records of one transaction are handled in their order, even when Flex answers slowly."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from consumer import events
from tests import factories
from tests.worker_harness import Stack


def test_commands_of_a_transaction_are_answered_in_the_order_they_were_sent(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("sqlite")
    stack.start_worker()
    declines = [factories.declined() for _ in range(30)]
    stack.produce(stack.topics.declined, declines)
    stack.read(stack.topics.order_status, lambda out: len(out) >= 30)
    # Only the first cancel reaches Flex, slowly; the later commands are answered locally at
    # once, so handling them in parallel would publish their answers first.
    stack.sandbox.admin.faults(latency_ms=50, latency_jitter_ms=50, paths=["/v1/orders"])

    now = datetime.now(UTC)
    sent: dict[str, list[str]] = defaultdict(list)
    commands: list[events.RefundRequested | events.CancelRequested] = []
    for decline in declines:
        tx = decline.transaction_id
        for kind in ("cancel", "refund", "cancel", "refund"):
            command_id = str(uuid.uuid4())
            sent[tx].append(command_id)
            if kind == "cancel":
                commands.append(events.CancelRequested(command_id=command_id, transaction_id=tx,
                                                       requested_at=now))  # fmt: skip
            else:
                commands.append(events.RefundRequested(command_id=command_id, transaction_id=tx,
                                                       requested_at=now))  # fmt: skip
    stack.produce(stack.topics.commands, commands)

    outputs = stack.read(stack.topics.order_status, lambda out: len(out) >= 30 + 120, within=60)
    answered: dict[str, list[str]] = defaultdict(list)
    statuses: dict[str, list[str]] = defaultdict(list)
    for output in sorted(outputs, key=lambda o: (o.partition, o.offset)):
        event = output.json()
        if event["source"] == "command":
            answered[event["transaction_id"]].append(event["causation_id"])
            statuses[event["transaction_id"]].append(event["status"])
    assert answered == sent
    expected = ["CANCELLED", "REFUND_FAILED", "CANCEL_FAILED", "REFUND_FAILED"]
    assert all(sequence == expected for sequence in statuses.values())
    cancels = stack.sandbox.admin.ledger_json()["cancels"]
    assert sum(entry["calls"] for entry in cancels.values()) == 30
