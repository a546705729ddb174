"""Prometheus metrics, declared once on an injected registry and recorded through named verbs.

Labels stay low-cardinality: topics, outcomes, endpoint names, decline codes (a bounded set),
Flex event names. Never an order id, a transaction id or an amount.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_AGE_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 21600, 86400)

KNOWN_FLEX_EVENTS = frozenset(
    {
        "order.completed", "order.expired", "order.cancelled", "order.refunded",
        "order.capturerequired", "payment.chargeback.received", "challenge.presented",
        "challenge.attempted", "challenge.passed", "challenge.failed", "payout.created",
        "payout.updated",
    }
)  # fmt: skip


class Metrics:
    """Every metric of a flexmit process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self._consumed = Counter("flexmit_records_consumed", "Records read", ["topic"], registry=r)
        self._handled = Counter(
            "flexmit_records_handled", "Records finished, by outcome", ["topic", "outcome"],
            registry=r,
        )  # fmt: skip
        self._dead = Counter("flexmit_dead_letters", "Records dead-lettered", ["topic"], registry=r)
        self._flex_calls = Counter(
            "flexmit_flex_requests", "Flex API attempts", ["endpoint", "status"], registry=r
        )
        self._flex_seconds = Histogram(
            "flexmit_flex_request_duration_seconds", "Flex API attempt latency", ["endpoint"],
            buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self._retries = Counter("flexmit_retries", "Work retried", ["reason"], registry=r)
        self._in_flight = Gauge("flexmit_in_flight_records", "Records being handled", registry=r)
        self._paused = Gauge("flexmit_paused_partitions", "Partitions paused", registry=r)
        self._lag = Gauge(
            "flexmit_consumer_lag", "Records behind the end", ["topic", "partition"], registry=r
        )
        self._age = Histogram(
            "flexmit_record_age_seconds", "From event time to handled", ["topic"],
            buckets=_AGE_BUCKETS, registry=r,
        )  # fmt: skip
        self._oldest = Gauge(
            "flexmit_oldest_unfinished_record_age_seconds", "Oldest unfinished record", registry=r
        )
        self._declines = Counter(
            "flexmit_declines", "Declines by code and outcome", ["decline_code", "outcome"],
            registry=r,
        )  # fmt: skip
        self._last_poll = Gauge("flexmit_last_poll_timestamp_seconds", "Last poll", registry=r)
        self._last_progress = Gauge(
            "flexmit_last_progress_timestamp_seconds", "Last record finished", registry=r
        )
        self._webhooks = Counter(
            "flexmit_webhooks_received", "Flex webhooks by result", ["event", "result"], registry=r
        )
        self._signature_failures = Counter(
            "flexmit_webhook_signature_failures", "Rejected webhooks", ["reason"], registry=r
        )
        self._last_webhook = Gauge(
            "flexmit_last_webhook_timestamp_seconds", "Last verified webhook", registry=r
        )
        self._pending = Gauge("flexmit_orders_pending", "Orders Flex still holds", registry=r)

    def consumed(self, topic: str) -> None:
        """A record was read from ``topic``."""
        self._consumed.labels(topic).inc()

    def handled(self, topic: str, outcome: str, event_time: float | None = None) -> None:
        """A record of ``topic`` was finished with ``outcome``."""
        self._handled.labels(topic, outcome).inc()
        now = time.time()
        self._last_progress.set(now)
        if event_time is not None:
            self._age.labels(topic).observe(max(0.0, now - event_time))

    def dead_lettered(self, topic: str) -> None:
        """A record of ``topic`` went to the dead-letter topic."""
        self._dead.labels(topic).inc()

    def flex_call(self, endpoint: str, status: str, seconds: float) -> None:
        """One HTTP attempt against Flex."""
        self._flex_calls.labels(endpoint, status).inc()
        self._flex_seconds.labels(endpoint).observe(seconds)

    def observe(self, endpoint: str, status: str, seconds: float) -> None:
        """The Flex client's observer seam: one HTTP attempt (see ``flex_call``)."""
        self.flex_call(endpoint, status, seconds)

    def retried(self, reason: str) -> None:
        """Work was retried (in process, or parked for later)."""
        self._retries.labels(reason).inc()

    def decline(self, code: str, outcome: str) -> None:
        """A decline with ``code`` ended with ``outcome``."""
        self._declines.labels(code[:16], outcome).inc()

    def polled(self) -> None:
        """The consumer polled: the process is alive."""
        self._last_poll.set(time.time())

    def in_flight(self, records: int, paused_partitions: int, oldest_age: float) -> None:
        """Gauges of the dispatcher's state."""
        self._in_flight.set(records)
        self._paused.set(paused_partitions)
        self._oldest.set(oldest_age)

    def lag(self, topic: str, partition: int, records: int) -> None:
        """Records between our position and the end of a partition."""
        self._lag.labels(topic, str(partition)).set(records)

    def webhook(self, event: str, result: str) -> None:
        """A Flex webhook ended with ``result``."""
        label = event if event in KNOWN_FLEX_EVENTS else "other"
        self._webhooks.labels(label, result).inc()
        if result != "rejected":
            self._last_webhook.set(time.time())

    def signature_failure(self, reason: str) -> None:
        """A webhook failed authentication for ``reason``."""
        self._signature_failures.labels(reason).inc()

    def orders_pending(self, count: int) -> None:
        """Orders Flex still holds."""
        self._pending.set(count)
