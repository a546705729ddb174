"""Re-sent duplicates of 100 events cause no second Flex call and the same event ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from tests import factories
from tests.worker_harness import Stack


def test_duplicates_republish_the_recorded_outcome_without_calling_flex(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("postgresql")
    stack.start_worker()
    stack.start_worker()
    declines = [factories.declined() for _ in range(100)]
    approvals = [factories.approved() for _ in range(100)]
    stack.produce(stack.topics.declined, declines)
    stack.produce(stack.topics.approved, approvals)
    stack.read(stack.topics.order_status, lambda out: len(out) >= 100)

    # The same records again, and copies with a new producer event id (a producer retry).
    stack.produce(stack.topics.declined, declines)
    stack.produce(stack.topics.declined, [d.model_copy(update={"event_id": "again"})
                                          for d in declines])  # fmt: skip
    stack.produce(stack.topics.approved, approvals)

    outputs = stack.read(stack.topics.order_status, lambda out: len(out) >= 300, within=60)
    ids: dict[str, set[str]] = defaultdict(set)
    for output in outputs:
        ids[output.json()["transaction_id"]].add(output.json()["event_id"])
    assert len(ids) == 100
    assert all(len(event_ids) == 1 for event_ids in ids.values())

    inputs = [stack.topics.declined, stack.topics.approved]
    stack.wait_until_committed(inputs, 30)
    ledger = stack.sandbox.admin.ledger_json()
    assert all(v["calls"] == 1 for v in ledger["evaluations"]["byOrderId"].values())
    assert len(ledger["evaluations"]["byOrderId"]) == 100
    assert all(v["calls"] == 1 for v in ledger["transmits"].values())
    assert len(ledger["transmits"]) == 100
