"""While the broker is down the receiver answers Flex 503, fast; Flex's resend publishes once.

Real pieces: a broker of this test alone (stopped and started again), a ``flexmit worker`` and a
``flexmit webhooks`` process, the sandbox posting signed webhooks and retrying what fails.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from consumer.devstack.kafka import RunningBroker
from consumer.devstack.ports import free_port
from consumer.sandbox.server import RunningSandbox
from tests.store_fixtures import database_url
from tests.webhook_stack import RESCUED, by_source, declined, deliveries_settled
from tests.worker_harness import Output, Stack

ORDERS = 4
PUBLISH_TIMEOUT = 2  # seconds: well under the sandbox's 10 s wait for an answer


def listening(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_webhooks_during_a_broker_outage_are_answered_503_and_published_once_after(
    own_broker: RunningBroker,
    flex_sandbox_factory: Callable[..., RunningSandbox],
    tmp_path: Path,
    unique: str,
) -> None:
    port = free_port()
    sandbox = flex_sandbox_factory(
        webhook_url=f"http://127.0.0.1:{port}/webhooks/flex",
        webhook_backoff=0.5, webhook_backoff_max=1.0, webhook_max_attempts=50,
    )  # fmt: skip
    with database_url("sqlite", tmp_path, None) as store_url:
        stack = Stack(own_broker.bootstrap_servers, sandbox, store_url, unique, tmp_path)
        try:
            receiver = stack.start_receiver(
                port, FLEXMIT_WEBHOOKS__PUBLISH_TIMEOUT=str(PUBLISH_TIMEOUT)
            )
            stack.start_worker()
            rescued = [declined(RESCUED) for _ in range(ORDERS)]
            stack.produce(stack.topics.declined, rescued)

            def all_submitted(outputs: list[Output]) -> bool:
                return len(by_source(outputs, "worker")) == ORDERS

            stack.read(stack.topics.order_status, all_submitted)

            # Take the broker down; once it is down, let the rescue window pass at the sandbox,
            # so every order's webhook arrives while nothing can be published.
            outage = threading.Thread(target=own_broker.outage, args=(12.0,))
            outage.start()
            stack.wait_until(lambda: not listening(own_broker.bootstrap_servers), 30, "broker down")
            sandbox.admin.advance(days=22)
            stack.wait_until(lambda: turned_away(sandbox) >= ORDERS, 10, "503 for each order")
            outage.join()

            stack.wait_until(deliveries_settled(stack, ORDERS), 90, "every webhook acknowledged")
            statuses = by_source(stack.read_all(stack.topics.order_status), "webhook")
        finally:
            stack.stop_all()

    assert {s["transaction_id"]: s["status"] for s in statuses} == {
        d.transaction_id: "APPROVED" for d in rescued
    }
    assert Counter(str(s["transaction_id"]) for s in statuses) == dict.fromkeys(
        (d.transaction_id for d in rescued), 1
    ), "published once each: nothing given up during the outage came through later as well"
    assert receiver.process.returncode == 0, "the receiver rode out the outage and stopped cleanly"


def turned_away(sandbox: RunningSandbox) -> int:
    """Orders with a delivery answered 503 (a receiver hanging on would be a sandbox timeout)."""
    deliveries = sandbox.admin.ledger_json()["webhooks"]
    return len({d["orderId"] for d in deliveries if d["responseCode"] == 503})
