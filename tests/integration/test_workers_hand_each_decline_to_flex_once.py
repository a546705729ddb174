"""Three worker processes in one group settle 1,000 mixed events: one Flex call per effect."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta

import pytest
from pydantic import BaseModel

from consumer import events
from tests import factories
from tests.worker_harness import Output, Stack


def mixed_events(count: int, seed: int = 7) -> tuple[list[BaseModel], list[BaseModel]]:
    """Declines (eligible, customer-initiated, stale, do-not-retry) and approvals, shuffled."""
    rng = random.Random(seed)
    declined: list[BaseModel] = []
    approved: list[BaseModel] = []
    for i in range(count):
        kind = rng.random()
        if kind < 0.3:
            approved.append(factories.approved())
        elif kind < 0.4:
            declined.append(factories.declined(is_mit=False))
        elif kind < 0.45:
            stale = factories.declined().occurred_at - timedelta(hours=30)
            declined.append(factories.declined(occurred_at=stale))
        elif kind < 0.5:
            declined.append(factories.declined(decline=events.Decline(code="41", source="nmi")))
        else:
            declined.append(factories.declined(amount_minor=1000 + i))
    return declined, approved


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_three_workers_call_flex_once_per_effect_and_commit_to_the_end(
    stack_factory: Callable[..., Stack], backend: str
) -> None:
    stack = stack_factory(backend)
    declined, approved = mixed_events(1000)
    for _ in range(3):
        stack.start_worker()
    # Rebalances are the kill test's subject; here the group is steady, so each decline must
    # reach Flex exactly once (an abandoned drain would be allowed to call Flex again).
    stack.wait_for_members(3)
    stack.produce(stack.topics.declined, declined)
    stack.produce(stack.topics.approved, approved)

    wanted = {d.transaction_id for d in declined}  # type: ignore[attr-defined]

    def all_settled(outputs: list[Output]) -> bool:
        return {o.key.decode() for o in outputs if o.key} >= wanted

    statuses = stack.read(stack.topics.order_status, all_settled, within=120)
    ids_per_tx: dict[str, set[str]] = defaultdict(set)
    for output in statuses:
        ids_per_tx[output.json()["transaction_id"]].add(output.json()["event_id"])
    assert set(ids_per_tx) == wanted
    assert all(len(ids) == 1 for ids in ids_per_tx.values()), "one outcome id per decline"

    ledger = stack.sandbox.admin.ledger_json()
    eligible = [d for d in declined if _eligible(d)]
    evaluate_calls = ledger["evaluations"]["byOrderId"]
    assert {order for order in evaluate_calls} == {d.merchant_order_id for d in eligible}  # type: ignore[attr-defined]
    assert Counter(v["calls"] for v in evaluate_calls.values()) == {1: len(eligible)}

    def all_transmitted() -> bool:
        transmits = stack.sandbox.admin.ledger_json()["transmits"]
        return len(transmits) == len(approved)

    stack.wait_until(all_transmitted, 60, "every approval transmitted")
    transmits = stack.sandbox.admin.ledger_json()["transmits"]
    assert set(transmits) == {a.transaction_id for a in approved}  # type: ignore[attr-defined]
    assert all(entry["calls"] == 1 for entry in transmits.values())

    inputs = [stack.topics.declined, stack.topics.approved]
    stack.wait_until_committed(inputs, 30)
    assert [worker.terminate() for worker in stack.workers] == [0, 0, 0]


def _eligible(event: BaseModel) -> bool:
    assert isinstance(event, events.PaymentDeclined)
    fresh = event.occurred_at > factories.declined().occurred_at - timedelta(hours=24)
    return event.is_mit and event.decline.code != "41" and fresh
