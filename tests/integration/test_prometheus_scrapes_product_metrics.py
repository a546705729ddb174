"""A real Prometheus server scrapes a running worker and webhook receiver and serves their metrics.

The worker submits declines to the sandbox, the sandbox posts signed webhooks to the receiver,
and Prometheus (the Debian binary) scrapes both processes' /metrics every second; the product
metrics are read back through Prometheus's HTTP API.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consumer.devstack import prometheus
from consumer.devstack.ports import free_port
from tests.webhook_stack import (
    RESCUED,
    declined,
    deliveries_settled,
    webhook_stack,
)
from tests.worker_harness import Stack


def test_worker_and_receiver_metrics_reach_prometheus(
    stack_factory: Callable[..., Stack],
) -> None:
    stack, receiver_port = webhook_stack(stack_factory)
    worker_port = free_port()
    stack.start_receiver(receiver_port)
    stack.start_worker(FLEXMIT_METRICS__HOST="127.0.0.1", FLEXMIT_METRICS__PORT=str(worker_port))
    stack.produce(stack.topics.declined, [declined(RESCUED) for _ in range(5)])
    stack.wait_until(deliveries_settled(stack, 5), 45, "every webhook acknowledged")

    targets = {
        "flexmit-worker": [f"127.0.0.1:{worker_port}"],
        "flexmit-webhooks": [f"127.0.0.1:{receiver_port}"],
    }
    with prometheus.start(targets) as server:
        handled = server.wait_for(
            'flexmit_records_handled_total{job="flexmit-worker",outcome="submitted"} >= 5'
        )
        assert [s.metric["topic"] for s in handled] == [stack.topics.declined]
        calls = server.wait_for('flexmit_flex_requests_total{endpoint="evaluate",status="200"}')
        assert calls[0].value == pytest.approx(5)
        published = server.wait_for(
            'flexmit_webhooks_received_total{job="flexmit-webhooks",event="order.completed",'
            'result="published"}'
        )
        assert published[0].value == pytest.approx(5)
        server.wait_for("count(up == 1) == 2")


def test_a_bad_query_is_reported_not_swallowed() -> None:
    with (
        prometheus.start({}) as server,
        pytest.raises(prometheus.PrometheusError, match="query 'rate\\(' failed"),
    ):
        server.query("rate(")
