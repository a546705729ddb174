"""A real Prometheus server scrapes flexmit_ metrics from our targets and serves them back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import start_http_server

from consumer.devstack import prometheus
from consumer.devstack.prometheus import RunningPrometheus
from consumer.metrics import Metrics


@pytest.fixture(scope="module")
def stand_in_worker() -> Iterator[str]:
    """host:port serving the product's metrics registry, as the worker's endpoint does."""
    metrics = Metrics()
    for _ in range(3):
        metrics.consumed("payment-declined")
    metrics.in_flight(records=5, paused_partitions=2, oldest_age=1.5)
    server, thread = start_http_server(0, "127.0.0.1", metrics.registry)
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def scrape_targets(stand_in_worker: str) -> dict[str, list[str]]:
    """Prometheus jobs and their targets, named as in deploy/prometheus/prometheus.yml."""
    # TODO(lead): point "flexmit-worker" at a running `flexmit worker` and add
    # "flexmit-webhooks" for the receiver once both commands exist.
    return {"flexmit-worker": [stand_in_worker]}


@pytest.fixture(scope="module")
def prometheus_server(scrape_targets: dict[str, list[str]]) -> Iterator[RunningPrometheus]:
    """A Prometheus server scraping ``scrape_targets`` every second, shared by this module."""
    # Shared because Prometheus takes about five seconds to hand new targets to its scraper.
    with prometheus.start(scrape_targets) as server:
        yield server


def test_counter_is_read_back_with_its_labels(prometheus_server: RunningPrometheus) -> None:
    samples = prometheus_server.wait_for("flexmit_records_consumed_total")
    assert [(s.metric["job"], s.metric["topic"], s.value) for s in samples] == [
        ("flexmit-worker", "payment-declined", 3.0)
    ]


def test_gauge_is_read_back(prometheus_server: RunningPrometheus) -> None:
    samples = prometheus_server.wait_for('flexmit_paused_partitions{job="flexmit-worker"}')
    assert [s.value for s in samples] == [2.0]


def test_every_target_is_up(
    prometheus_server: RunningPrometheus, scrape_targets: dict[str, list[str]]
) -> None:
    expected = {(job, target) for job, targets in scrape_targets.items() for target in targets}
    prometheus_server.wait_for(f"count(up) == {len(expected)}")
    up = prometheus_server.query("up")
    assert {(s.metric["job"], s.metric["instance"]) for s in up} == expected
    assert {s.value for s in up} == {1.0}


def test_a_bad_query_is_reported_not_swallowed(prometheus_server: RunningPrometheus) -> None:
    with pytest.raises(prometheus.PrometheusError, match="query 'rate\\(' failed"):
        prometheus_server.query("rate(")
