"""Workers killed with SIGKILL under load and restarted lose nothing and create no second order."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable

from consumer.flex import evaluate_idempotency_key
from tests import factories
from tests.worker_harness import Output, Stack

SLOW = {"FLEXMIT_WORKER__MAX_IN_FLIGHT": "20"}


def test_repeated_sigkills_under_load_keep_every_ledger_invariant(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("postgresql", faults={"latency_ms": 300, "latency_jitter_ms": 100})
    live = [stack.start_worker(**SLOW) for _ in range(3)]
    declines = [factories.declined() for _ in range(1000)]
    approvals = [factories.approved() for _ in range(500)]
    stack.produce(stack.topics.declined, declines)
    stack.produce(stack.topics.approved, approvals)

    rng = random.Random(11)
    for _ in range(5):
        time.sleep(rng.uniform(1.0, 2.0))
        victim = live.pop(rng.randrange(len(live)))
        victim.kill()
        live.append(stack.start_worker(**SLOW))

    wanted = {d.transaction_id for d in declines}

    def settled(outputs: list[Output]) -> bool:
        return {o.json()["transaction_id"] for o in outputs} >= wanted

    outputs = stack.read(stack.topics.order_status, settled, within=180)
    ids: dict[str, set[str]] = defaultdict(set)
    for output in outputs:
        ids[output.json()["transaction_id"]].add(output.json()["event_id"])
    assert all(len(event_ids) == 1 for event_ids in ids.values()), "one outcome id per decline"

    def all_transmitted() -> bool:
        return len(stack.sandbox.admin.ledger_json()["transmits"]) == len(approvals)

    stack.wait_until(all_transmitted, 120, "every approval transmitted", stack.sandbox_summary)
    inputs = [stack.topics.declined, stack.topics.approved]
    stack.wait_until_committed(inputs, 60)

    ledger = stack.sandbox.admin.ledger_json()
    by_order = ledger["evaluations"]["byOrderId"]
    assert set(by_order) == {d.merchant_order_id for d in declines}
    doubled = [order for order, entry in by_order.items() if len(entry["flexOrderIds"]) != 1]
    assert doubled == [], "at most one Flex order per transaction"
    keys = ledger["evaluations"]["byIdempotencyKey"]
    assert set(keys) == {str(evaluate_idempotency_key(d.transaction_id)) for d in declines}
    assert set(ledger["transmits"]) == {a.transaction_id for a in approvals}
    codes = [worker.terminate() for worker in live]
    assert codes == [0, 0, 0], "\n".join(worker.output()[-4000:] for worker in live)
