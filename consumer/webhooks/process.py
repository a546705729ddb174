"""Everything ``flexmit webhooks`` runs, wired from settings: the receiver's composition root.

uvicorn ── app ── WebhookEndpoint ── Authenticator (keys, nonces in the store)
                                  └─ Intake ── Store, KafkaPublisher (acks=all)
Reconciler (every interval) ── FlexClient GET /orders/{id} ── the same Intake
housekeeping (every few seconds): prune old nonces, store liveness, pending-orders gauge
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from datetime import UTC, datetime

from consumer.errors import TransientError
from consumer.flex import FlexClient
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.topics import ensure_topics
from consumer.metrics import Metrics
from consumer.settings import WebhookCommandSettings, WebhookSettings
from consumer.store import Store, open_store
from consumer.webhooks import openapi, server
from consumer.webhooks.app import WebhookEndpoint, build_app
from consumer.webhooks.authenticity import Authenticator
from consumer.webhooks.intake import Intake
from consumer.webhooks.publisher import KafkaPublisher
from consumer.webhooks.reconciler import Reconciler, Schedule

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1
_HOUSEKEEPING_SECONDS = 5.0
_STORE_SILENCE_SECONDS = 15.0


def now() -> datetime:
    """Wall-clock time, timezone-aware."""
    return datetime.now(UTC)


async def run_webhooks(settings: WebhookCommandSettings) -> int:
    """Serve until SIGTERM/SIGINT; 0 after a clean stop, 1 when Kafka failed for good."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    store = open_store(settings.store.url, f"webhooks:{socket.gethostname()}:{os.getpid()}")
    try:
        return await _serve(settings, store, stop)
    finally:
        store.close()


async def _serve(settings: WebhookCommandSettings, store: Store, stop: asyncio.Event) -> int:
    kafka, hooks = settings.kafka, settings.webhooks
    if kafka.create_topics:
        ensure_topics(kafka.client_config(), kafka.topics.model_dump().values(),
                      kafka.topic_partitions)  # fmt: skip
    metrics, probe = Metrics(), Probe()

    def on_fatal(exc: BaseException) -> None:
        log.error("Kafka failed for good (%s); stopping so the process restarts", exc)
        probe.fatal = True
        stop.set()

    async with (
        AsyncProducer(kafka.client_config() | _publish_deadline(hooks)) as producer,
        FlexClient.open(settings.flex, observer=metrics) as flex,
    ):
        intake = Intake(store, KafkaPublisher(producer, kafka.topics), now)
        auth = Authenticator(
            hooks.subscriber_keys, hooks.public_host, hooks.clock_skew, store, now,
            require_body_signature=hooks.require_body_signature,
        )  # fmt: skip
        endpoint = WebhookEndpoint(auth, intake, metrics, hooks.max_body_bytes, on_fatal)
        app = build_app(endpoint, probe, metrics.registry, openapi.document())
        reconciler = Reconciler(store, flex, intake, schedule(hooks))
        scheme = "https" if hooks.tls else "http"
        log.info("webhook receiver on %s://%s:%d/webhooks/flex", scheme, hooks.host, hooks.port)
        await asyncio.gather(
            server.serve(app, hooks, stop),
            reconciler.run(stop),
            _housekeeping(store, metrics, probe, hooks, stop),
        )
    return EXIT_FAILED if probe.fatal else EXIT_OK


def _publish_deadline(hooks: WebhookSettings) -> dict[str, int]:
    # librdkafka fails a record it could not deliver within message.timeout.ms; until then a
    # broker outage would hold the webhook's request open past Flex's own patience.
    return {"message.timeout.ms": int(hooks.publish_timeout.total_seconds() * 1000)}


def schedule(hooks: WebhookSettings) -> Schedule:
    """The reconciler's schedule from the settings."""
    return Schedule(
        interval=hooks.reconcile_interval.total_seconds(),
        grace=hooks.reconcile_grace.total_seconds(),
        batch=hooks.reconcile_batch,
    )


class Probe:
    """Liveness: Kafka has not failed for good. Readiness: that, the store, not stopping."""

    def __init__(self) -> None:
        self.fatal = False
        self.stopping = False
        self.store_ok_at = time.monotonic()

    def alive(self) -> tuple[bool, str]:
        """See the class docstring."""
        return (False, "Kafka producer failed for good") if self.fatal else (True, "serving")

    def ready(self) -> tuple[bool, str]:
        """See the class docstring."""
        silent = time.monotonic() - self.store_ok_at
        if self.fatal or self.stopping:
            return False, "shutting down"
        if silent > _STORE_SILENCE_SECONDS:
            return False, f"store unreachable for {silent:.0f} s"
        return True, "ready"


async def _housekeeping(
    store: Store, metrics: Metrics, probe: Probe, hooks: WebhookSettings, stop: asyncio.Event
) -> None:
    # A nonce older than twice the skew window can only come with a date the check refuses.
    keep = 2 * hooks.clock_skew.total_seconds()
    while not stop.is_set():
        try:
            await store.prune_nonces(keep)
            metrics.orders_pending(await store.count_held_by_flex())
            probe.store_ok_at = time.monotonic()
        except TransientError as exc:
            log.warning("store housekeeping failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _HOUSEKEEPING_SECONDS)
    probe.stopping = True
