"""Everything ``flexmit worker`` runs, wired from settings: the process's composition root."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from consumer import health
from consumer.errors import KafkaFatal, KafkaUnavailable, TransientError
from consumer.flex import FlexClient
from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.dead_letter import DeadLetterWriter
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.topics import ensure_topics
from consumer.metrics import Metrics
from consumer.processing.approved import ApprovedHandler, ApprovedPolicy
from consumer.processing.commands import CommandHandler, CommandPolicy
from consumer.processing.declined import DeclinedHandler, DeclinedPolicy
from consumer.processing.eligibility import Rules
from consumer.processing.outcome import Backoff
from consumer.retries import RetryRunner
from consumer.routing import Handler, Router
from consumer.settings import WorkerCommandSettings
from consumer.store import Store, open_store
from consumer.worker import Limits, Worker

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1


def now() -> datetime:
    """Wall-clock time, timezone-aware."""
    return datetime.now(UTC)


async def run_worker(settings: WorkerCommandSettings) -> int:
    """Run one worker until SIGTERM/SIGINT; 0 after a clean drain, 1 after a fatal error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    rules = settings.worker
    store = open_store(settings.store.url, owner, rules.claim_lease.total_seconds(),
                       rules.owner_timeout.total_seconds())  # fmt: skip
    try:
        return await _serve(settings, store, stop)
    finally:
        with contextlib.suppress(TransientError):
            await store.retire()
        store.close()


async def _serve(settings: WorkerCommandSettings, store: Store, stop: asyncio.Event) -> int:
    kafka, topics = settings.kafka, settings.kafka.topics
    if kafka.create_topics:
        ensure_topics(kafka.client_config(), topics.model_dump().values(), kafka.topic_partitions)
    metrics = Metrics()
    async with (
        AsyncProducer(kafka.client_config()) as producer,
        FlexClient.open(settings.flex, observer=metrics) as flex,
    ):

        async def publish(transaction_id: str, payload: str) -> None:
            await producer.send(topics.order_status, payload.encode(), transaction_id.encode())

        router = _router(settings, store, flex, publish, producer, metrics)
        tracker = OffsetTracker()
        drain = settings.worker.drain_timeout.total_seconds()
        limits = Limits(settings.worker.max_in_flight, drain)
        worker = Worker(tracker, router, limits, metrics)
        group = _GROUP_DEFAULTS | kafka.consumer_config()
        subscribed = [topics.approved, topics.declined, topics.commands]
        consumer = AsyncConsumer(group, subscribed, tracker, worker, hook_deadline=drain + 30)
        await consumer.start()
        retries = RetryRunner(store, router, _topics_by_kind(settings))
        probe = _Probe(worker, consumer)
        app = health.build_app(probe, metrics.registry)
        background = [
            asyncio.create_task(retries.run(stop), name="retries"),
            asyncio.create_task(
                _housekeeping(store, worker, consumer, tracker, metrics, probe, stop),
                name="housekeeping",
            ),
            asyncio.create_task(
                health.serve(app, settings.metrics.host, settings.metrics.port, stop),
                name="health",
            ),
        ]
        code = await _run_loop(worker, consumer, stop)
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await producer.flush(10)
    return code


# A killed worker's partitions move within ~10 s instead of librdkafka's 45 s default.
_GROUP_DEFAULTS: dict[str, str | int | float | bool] = {
    "session.timeout.ms": 10_000,
    "heartbeat.interval.ms": 2_000,
}


async def _run_loop(worker: Worker, consumer: AsyncConsumer, stop: asyncio.Event) -> int:
    try:
        await worker.run(consumer, stop)
    except KafkaFatal:
        log.exception("fatal Kafka error; stopping")
        return EXIT_FAILED
    except KafkaUnavailable:
        # Finished work whose offsets did not get committed is redelivered and deduplicated.
        log.exception("leaving the group failed; uncommitted work will be redelivered")
        return EXIT_FAILED
    if worker.broken:
        log.error("a handler failed unexpectedly; stopping so the records are redelivered")
        return EXIT_FAILED
    return EXIT_OK


def _router(
    settings: WorkerCommandSettings,
    store: Store,
    flex: FlexClient,
    publish: Callable[[str, str], Awaitable[None]],
    producer: AsyncProducer,
    metrics: Metrics,
) -> Router:
    topics, rules = settings.kafka.topics, settings.worker
    parking = Backoff(rules.retry_base.total_seconds(), rules.retry_cap.total_seconds())
    eligibility = Rules.with_extra_codes(rules.max_decline_age, rules.extra_do_not_retry_codes)
    declined = DeclinedPolicy(eligibility, rules.rescue_window, parking=parking)
    handlers: dict[str, Handler] = {
        topics.approved: ApprovedHandler(store, flex, ApprovedPolicy(parking=parking), now),
        topics.declined: DeclinedHandler(store, flex, publish, declined, now, metrics.decline),
        topics.commands: CommandHandler(store, flex, publish, CommandPolicy(parking=parking), now),
    }
    dead_letters = DeadLetterWriter(producer, topics.dead_letter)
    return Router(handlers, dead_letters, publish, metrics, topics.declined)


def _topics_by_kind(settings: WorkerCommandSettings) -> dict[str, str]:
    topics = settings.kafka.topics
    return {"evaluate": topics.declined, "transmit": topics.approved, "command": topics.commands}


class _Probe:
    """Liveness from the loop's progress, readiness from start-up and the store."""

    def __init__(self, worker: Worker, consumer: AsyncConsumer) -> None:
        self._worker = worker
        self._consumer = consumer
        self.store_ok_at = time.monotonic()

    def alive(self) -> tuple[bool, str]:
        """See ``Worker.alive``."""
        return self._worker.alive()

    def ready(self) -> tuple[bool, str]:
        """Not shutting down, and the store answered within the last 15 s."""
        if self._worker.stopping:
            return False, "shutting down"
        silent = time.monotonic() - self.store_ok_at
        if silent > 15:
            return False, f"store unreachable for {silent:.0f} s"
        return True, f"{len(self._consumer.assignment())} partitions assigned"


async def _housekeeping(
    store: Store,
    worker: Worker,
    consumer: AsyncConsumer,
    tracker: OffsetTracker,
    metrics: Metrics,
    probe: _Probe,
    stop: asyncio.Event,
) -> None:
    """Heartbeat (keeps our claims ours) and gauges, once a second."""
    tick = 0
    while not stop.is_set():
        try:
            await store.heartbeat()
            probe.store_ok_at = time.monotonic()
            if tick % 15 == 0:
                metrics.orders_pending(await store.count_held_by_flex())
        except TransientError as exc:
            log.warning("store heartbeat failed: %s", exc)
        metrics.in_flight(worker.in_flight, len(consumer.paused()),
                          tracker.oldest_unfinished_age() or 0.0)  # fmt: skip
        for tp, records in consumer.lag().items():
            metrics.lag(tp.topic, tp.partition, records)
        tick += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
