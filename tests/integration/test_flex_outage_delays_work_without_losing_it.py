"""A 30-second Flex outage delays declines without losing or dead-lettering any of them."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests import factories
from tests.worker_harness import Output, Stack


def test_declines_wait_out_an_evaluate_outage_while_other_keys_keep_flowing(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("sqlite")
    stack.start_worker(FLEXMIT_WORKER__RETRY_BASE="PT1S", FLEXMIT_WORKER__RETRY_CAP="PT3S")
    before = [factories.declined() for _ in range(20)]
    stack.produce(stack.topics.declined, before)
    stack.read(stack.topics.order_status, lambda out: len(out) >= 20)

    stack.sandbox.admin.faults(error_503_rate=1.0, paths=["/v1/evaluate"])
    outage_started = time.monotonic()
    during = [factories.declined() for _ in range(50)]
    approvals = [factories.approved() for _ in range(50)]
    stack.produce(stack.topics.declined, during)
    stack.produce(stack.topics.approved, approvals)

    def transmitted() -> int:
        return len(stack.sandbox.admin.ledger_json()["transmits"])

    # Other keys keep flowing: every approval reaches Flex while the declines wait.
    stack.wait_until(lambda: transmitted() == 50, 20, "approvals transmitted during the outage")
    assert time.monotonic() - outage_started < 30
    assert len(stack.read_all(stack.topics.order_status)) == 20, "nothing published in the outage"
    time.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
    stack.sandbox.admin.clear_faults()

    wanted = {d.transaction_id for d in during}

    def settled(outputs: list[Output]) -> bool:
        return {o.json()["transaction_id"] for o in outputs} >= wanted

    outputs = stack.read(stack.topics.order_status, settled, within=60)
    after = [o.json() for o in outputs if o.json()["transaction_id"] in wanted]
    assert {event["status"] for event in after} == {"SUBMITTED"}
    assert len({event["event_id"] for event in after}) == 50
    calls = stack.sandbox.admin.ledger_json()["evaluations"]["byOrderId"]
    assert all(len(calls[d.merchant_order_id]["flexOrderIds"]) == 1 for d in during)
    assert stack.read_all(stack.topics.dead_letter) == [], "transient failures never dead-letter"
    assert stack.workers[0].terminate() == 0
