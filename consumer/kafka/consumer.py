"""An asyncio face for librdkafka's consumer, confined to the one thread it owns.

Threads. librdkafka's consumer is not thread-safe, so every call into it (create, subscribe,
consume, pause, resume, commit, close, watermarks) runs on a single-thread executor owned by
``AsyncConsumer``; rebalance, commit and error callbacks run there too, inside ``consume()`` or
``close()``. The event loop never calls librdkafka: ``pause``/``resume``/``request_commit`` only
leave requests that the next ``poll`` applies on the consumer thread, and ``assignment``/``lag``
read snapshots that the consumer thread replaces whole.

Offsets (at-least-once). Auto-commit and auto offset store are off. ``poll`` tracks every record
it returns in the shared ``OffsetTracker`` before returning it, so the committable offset can
never pass a record the worker has not reported ``done``. Before each ``consume()`` the consumer
thread commits what the tracker calls committable (asynchronously, every ``commit_interval``
seconds or on request), only for partitions still assigned.

Rebalance (cooperative, incremental). On assign: the ``on_assigned`` hook. On revoke: the
``on_revoked`` hook (the worker drains those partitions, within its deadline), THEN a synchronous
commit of their committable offsets, then the tracker forgets them. On lost: the ``on_lost``
hook, forget, and NEVER commit: someone else owns them already. Hooks run on the event loop
while the consumer thread waits; see ``rebalance.py`` for the deadlock hazard.

Group protocol. Default: classic with ``cooperative-sticky``, which every broker since 2.4
speaks. ``group.protocol=consumer`` (KIP-848, brokers >= 4.0) may be passed in the config; the
classic-only keys are then dropped. Both give the same incremental callbacks used here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.errors import ConfigurationError, KafkaUnavailable
from consumer.kafka import wire
from consumer.kafka.client import ConsumerClient
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.rebalance import HookRunner, NoRebalanceListener, Partitions, RebalanceListener
from consumer.kafka.records import Record, TopicPartition
from consumer.kafka.translate import from_error, from_exception, kafka_error

log = logging.getLogger(__name__)

ConfigValue = str | int | float | bool
ClientFactory = Callable[[dict[str, Any]], ConsumerClient]

DEFAULTS: dict[str, ConfigValue] = {
    "auto.offset.reset": "earliest",
    "partition.assignment.strategy": "cooperative-sticky",
    "enable.partition.eof": False,
    # Bounded prefetch. librdkafka's defaults keep up to 100k messages per partition and 64 MB
    # in the consumer queue; under a huge backlog that is memory for records we cannot start.
    "queued.min.messages": 1000,
    "queued.max.messages.kbytes": 16384,
}
# Not overridable: at-least-once rests on committing only what the tracker allows.
REQUIRED: dict[str, ConfigValue] = {"enable.auto.commit": False, "enable.auto.offset.store": False}
CLASSIC_ONLY = ("partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms")


def build_config(config: Mapping[str, ConfigValue]) -> dict[str, ConfigValue]:
    """Our defaults, then ``config``, then the settings at-least-once depends on."""
    merged = DEFAULTS | dict(config)
    if merged.get("group.protocol") == "consumer":
        for key in CLASSIC_ONLY:
            merged.pop(key, None)
    return merged | REQUIRED


class AsyncConsumer:
    """A subscribed group member whose librdkafka calls all run on one thread it owns."""

    def __init__(
        self,
        config: Mapping[str, ConfigValue],
        topics: Sequence[str],
        tracker: OffsetTracker,
        listener: RebalanceListener | None = None,
        *,
        commit_interval: float = 0.5,
        lag_interval: float = 1.0,
        hook_deadline: float = 60.0,
        client_factory: ClientFactory = Consumer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = build_config(config)
        self._topics = list(topics)
        self._tracker = tracker
        self._listener: RebalanceListener = listener or NoRebalanceListener()
        self._commit_interval, self._lag_interval = commit_interval, lag_interval
        self._hook_deadline = hook_deadline
        self._client_factory, self._clock = client_factory, clock
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "kafka-consumer")
        self._client: ConsumerClient | None = None
        self._hooks: HookRunner | None = None
        self._requests: dict[TopicPartition, bool] = {}  # True: pause, False: resume
        self._requests_lock = threading.Lock()
        self._commit_requested = False
        self._next_commit = self._next_lag = 0.0
        self._failure: BaseException | None = None
        self._carried: list[Record] = []
        self._closing = self._closed = False
        self._assignment: Partitions = frozenset()
        self._paused: Partitions = frozenset()
        self._lag: dict[TopicPartition, int] = {}
        self.last_poll_monotonic: float | None = None
        """When ``consume()`` last returned (``clock`` time): liveness by progress."""
        self.errors: Counter[str] = Counter()
        """Consumer errors by name (message errors, client errors, failed commits)."""

    async def start(self) -> None:
        """Create the client and subscribe, on the consumer thread."""
        loop = asyncio.get_running_loop()
        self._hooks = HookRunner(loop, self._hook_deadline)
        await self._run(self._start_in_thread)

    async def poll(self, max_records: int, max_wait: float) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``max_wait`` seconds; each is tracked."""
        if self._carried:
            carried, self._carried = self._carried, []
            return [record for record in carried if record.tp in self._assignment]
        if self._closing:
            raise KafkaUnavailable("the consumer is closing")
        future = self._submit(self._poll_in_thread, max_records, max_wait)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The records are tracked already; losing them would stall their partitions'
            # commits forever, so the next poll() returns them.
            future.add_done_callback(self._carry_over)
            raise

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        """Stop fetching ``partitions`` from the next poll on (ignored if not assigned)."""
        self._request(partitions, pause=True)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        """Fetch ``partitions`` again from the next poll on."""
        self._request(partitions, pause=False)

    def request_commit(self) -> None:
        """Commit at the next poll rather than waiting for the commit interval."""
        self._commit_requested = True

    def assignment(self) -> Partitions:
        """The partitions this member holds now."""
        return self._assignment

    def paused(self) -> Partitions:
        """The assigned partitions currently paused."""
        return self._paused

    def lag(self) -> dict[TopicPartition, int]:
        """Per partition: high watermark minus the lowest unfinished offset (refreshed on poll)."""
        return dict(self._lag)

    async def close(self, drain_deadline: float = 10.0) -> None:
        """Stop fetching, wait for in-flight work, commit it, leave the group."""
        if self._closed or self._client is None:
            return
        self._closing = True
        try:
            await self._run(self._pause_everything)
            await self._wait_for_outstanding(drain_deadline)
            await self._run(self._commit_sync, self._assignment)
            await self._run(self._close_in_thread)
        finally:
            self._closed = True
            self._executor.shutdown(wait=False)
        self._raise_failure()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- event loop side -------------------------------------------------------------------

    def _submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        return await self._submit(function, *args)

    def _carry_over(self, future: asyncio.Future[list[Record]]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._carried = future.result() + self._carried

    def _request(self, partitions: Iterable[TopicPartition], *, pause: bool) -> None:
        with self._requests_lock:
            for tp in partitions:
                self._requests[tp] = pause

    async def _wait_for_outstanding(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline
        # Polling is simpler than an event the tracker would have to fire across threads.
        while self._tracker.total_outstanding() > 0 and loop.time() < give_up:  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    # -- consumer thread side --------------------------------------------------------------

    def _start_in_thread(self) -> None:
        config = self._config | {"error_cb": self._on_error, "on_commit": self._on_commit}
        try:
            client = self._client_factory(config)
            client.subscribe(
                self._topics,
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
        except KafkaException as exc:
            raise ConfigurationError(f"cannot start the Kafka consumer: {exc}") from None
        self._client = client

    def _poll_in_thread(self, max_records: int, max_wait: float) -> list[Record]:
        client = self._live_client()
        self._apply_requests(client)
        self._commit_if_due(client)
        try:
            messages = client.consume(max_records, max_wait)
        except KafkaException as exc:
            raise from_exception(exc, "consume") from None
        self.last_poll_monotonic = self._clock()
        records = self._accept(messages)
        self._raise_failure()
        self._refresh_lag_if_due(client)
        return records

    def _accept(self, messages: list[Message]) -> list[Record]:
        records = []
        for message in messages:
            error = message.error()
            if error is not None:
                self._on_error(error)
                continue
            record = wire.to_record(message)
            # A partition revoked during this consume() may still have messages in the batch;
            # tracking them would commit for a partition another member owns.
            if record.tp in self._assignment and self._tracker.track(record.tp, record.offset):
                records.append(record)
        return records

    def _apply_requests(self, client: ConsumerClient) -> None:
        with self._requests_lock:
            requests, self._requests = self._requests, {}
        pause = {tp for tp, p in requests.items() if p and tp in self._assignment} - self._paused
        resume = {tp for tp, p in requests.items() if not p} & self._paused
        try:
            if pause:
                client.pause(wire.theirs(pause))
            if resume:
                client.resume(wire.theirs(resume))
        except KafkaException as exc:
            raise from_exception(exc, "pause/resume") from None
        self._paused = (self._paused | pause) - resume

    def _pause_everything(self) -> None:
        self._request(self._assignment, pause=True)
        self._apply_requests(self._live_client())

    def _commit_if_due(self, client: ConsumerClient) -> None:
        now = self._clock()
        if not self._commit_requested and now < self._next_commit:
            return
        self._commit_requested, self._next_commit = False, now + self._commit_interval
        offsets = self._tracker.committable_offsets(self._assignment)
        if not offsets:
            return
        try:
            client.commit(offsets=wire.theirs_at(offsets), asynchronous=True)
        except KafkaException as exc:
            self._count(kafka_error(exc), "commit")
            return
        self._tracker.mark_committed(offsets)

    def _commit_sync(self, partitions: Iterable[TopicPartition]) -> None:
        offsets = self._tracker.committable_offsets(partitions)
        if not offsets:
            return
        try:
            results = self._live_client().commit(
                offsets=wire.theirs_at(offsets), asynchronous=False
            )
        except KafkaException as exc:
            self._count(kafka_error(exc), "commit")
            return
        self._tracker.mark_committed(offsets)
        self._on_commit(None, results)

    def _close_in_thread(self) -> None:
        try:
            self._live_client().close()  # revokes what is left: _on_revoke runs in here
        except KafkaException as exc:
            raise from_exception(exc, "close") from None

    def _refresh_lag_if_due(self, client: ConsumerClient) -> None:
        now = self._clock()
        if now < self._next_lag:
            return
        self._next_lag = now + self._lag_interval
        lag = {}
        for tp in self._assignment:
            try:
                _, high = client.get_watermark_offsets(wire.theirs([tp])[0], cached=True)
            except KafkaException:
                continue  # not fetched yet: no cached watermark
            position = self._tracker.position(tp)
            if position is not None and high >= 0:
                lag[tp] = max(high - position, 0)
        self._lag = lag

    def _live_client(self) -> ConsumerClient:
        if self._client is None:
            raise RuntimeError("AsyncConsumer.start() was not awaited")
        return self._client

    def _raise_failure(self) -> None:
        hook_failure = self._hooks.take_failure() if self._hooks is not None else None
        failure, self._failure = self._failure or hook_failure, None
        if failure is not None:
            raise failure

    # -- librdkafka callbacks: consumer thread, inside consume() or close() ----------------

    def _on_assign(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        assigned = wire.ours(partitions)
        self._assignment = self._assignment | assigned
        if assigned:
            self._hook("on_assigned", self._listener.on_assigned(assigned))

    def _on_revoke(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        revoked = wire.ours(partitions)
        if revoked:
            self._hook("on_revoked", self._listener.on_revoked(revoked))
            self._commit_sync(revoked)
        self._drop(revoked)

    def _on_lost(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        lost = wire.ours(partitions)
        if lost:
            self._hook("on_lost", self._listener.on_lost(lost))
        self._drop(lost)

    def _on_commit(self, error: KafkaError | None, partitions: list[KafkaTopicPartition]) -> None:
        failed = partitions if error is not None else [p for p in partitions if p.error]
        for p in failed:
            self._tracker.commit_failed(TopicPartition(p.topic, p.partition), p.offset)
            self._count(p.error or error or KafkaError(KafkaError._FAIL), f"commit {p.topic}")

    def _on_error(self, error: KafkaError) -> None:
        # Client errors (error_cb) and message errors alike; fatal ones end the next poll().
        if error.code() == KafkaError._PARTITION_EOF:
            return
        self._count(error, "consume")
        if error.fatal() and self._failure is None:
            self._failure = from_error(error, "consume")

    def _hook(self, name: str, hook: Any) -> None:
        assert self._hooks is not None
        self._hooks.run(name, hook)

    def _drop(self, partitions: Partitions) -> None:
        self._tracker.forget(partitions)
        self._assignment = self._assignment - partitions
        self._paused = self._paused - partitions

    def _count(self, error: KafkaError, doing: str) -> None:
        self.errors[error.name()] += 1
        log.warning("%s", from_error(error, doing))
