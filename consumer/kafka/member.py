"""The consumer-thread half of ``AsyncConsumer``: the only code that touches librdkafka's consumer.

Every method runs on ``AsyncConsumer``'s single thread, librdkafka's callbacks included (they
fire inside ``consume()`` and ``close()``), with two exceptions callable from any thread:
``request``/``request_commit``, which leave a note the next ``poll`` applies, and the snapshots
``assignment``, ``paused``, ``lag``, ``last_poll``, which are replaced whole and never mutated,
so a reader on the event loop sees the old value or the new one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.errors import ConfigurationError
from consumer.kafka import wire
from consumer.kafka.client import ConsumerClient
from consumer.kafka.logging import LIBRDKAFKA
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.rebalance import HookRunner, Partitions, RebalanceListener
from consumer.kafka.records import Record, TopicPartition
from consumer.kafka.translate import from_error, from_exception, kafka_error

log = logging.getLogger(__name__)

ClientFactory = Callable[[dict[str, Any]], ConsumerClient]


class GroupMember:
    """A subscribed librdkafka consumer plus the bookkeeping that must run beside it."""

    def __init__(
        self,
        client_factory: ClientFactory,
        config: dict[str, Any],
        topics: list[str],
        tracker: OffsetTracker,
        listener: RebalanceListener,
        *,
        commit_interval: float,
        lag_interval: float,
        hook_deadline: float,
        clock: Callable[[], float],
    ) -> None:
        self._factory, self._config, self._topics = client_factory, config, topics
        self._tracker, self._listener, self._clock = tracker, listener, clock
        self._commit_interval, self._lag_interval = commit_interval, lag_interval
        self._hook_deadline = hook_deadline
        self._client: ConsumerClient | None = None
        self._hooks: HookRunner | None = None
        self._requests: dict[TopicPartition, bool] = {}  # True: pause, False: resume
        self._requests_lock = threading.Lock()
        self._commit_requested = False
        self._next_commit = self._next_lag = 0.0
        self._fatal: Exception | None = None
        self.assignment: Partitions = frozenset()
        self.paused: Partitions = frozenset()
        self.lag: dict[TopicPartition, int] = {}
        self.last_poll: float | None = None
        self.errors: Counter[str] = Counter()

    # -- any thread --------------------------------------------------------------------------

    def request(self, partitions: Iterable[TopicPartition], *, pause: bool) -> None:
        """Ask for ``partitions`` to be paused (or resumed) at the next poll."""
        with self._requests_lock:
            for tp in partitions:
                self._requests[tp] = pause

    def request_commit(self) -> None:
        """Commit at the next poll rather than at the next interval."""
        self._commit_requested = True

    # -- consumer thread ---------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Create the client and subscribe; hooks will run on ``loop``."""
        self._hooks = HookRunner(loop, self._hook_deadline)
        callbacks = {"error_cb": self._on_error, "on_commit": self._on_commit, "logger": LIBRDKAFKA}
        try:
            client = self._factory(self._config | callbacks)
            client.subscribe(
                self._topics,
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_lost,
            )
        except KafkaException as exc:
            raise ConfigurationError(f"cannot start the Kafka consumer: {exc}") from None
        self._client = client

    def poll(self, max_records: int, max_wait: float) -> list[Record]:
        """Apply requests, commit if due, consume; the records returned are tracked."""
        client = self._live()
        self._apply_requests(client)
        self._commit_if_due(client)
        try:
            messages = client.consume(max_records, max_wait)
        except KafkaException as exc:
            raise from_exception(exc, "consume") from None
        self.last_poll = self._clock()
        records = self._accept(messages)
        self._raise_failure()
        self._refresh_lag_if_due(client)
        return records

    def pause_everything(self) -> None:
        """Stop fetching every assigned partition."""
        self.request(self.assignment, pause=True)
        self._apply_requests(self._live())

    def commit(self, partitions: Iterable[TopicPartition]) -> None:
        """Synchronously commit the position of ``partitions``; failures are counted.

        Sent even when the tracker marked it committed already: at a handover the next owner
        starts from what the broker holds, so an earlier commit that never landed must not be
        trusted here.
        """
        positions = {tp: self._tracker.position(tp) for tp in partitions}
        offsets = {tp: offset for tp, offset in positions.items() if offset is not None}
        if not offsets:
            return
        try:
            results = self._live().commit(offsets=wire.theirs_at(offsets), asynchronous=False)
        except KafkaException as exc:
            self._count(kafka_error(exc), "commit")
            return
        self._tracker.mark_committed(offsets)
        self._on_commit(None, results)

    def close(self) -> None:
        """Leave the group; what is still assigned is revoked (hook, commit, forget) in here."""
        try:
            self._live().close()
        except KafkaException as exc:
            raise from_exception(exc, "close") from None
        self._raise_failure()

    def _accept(self, messages: list[Message]) -> list[Record]:
        records = []
        for message in messages:
            error = message.error()
            if error is not None:
                self._on_error(error)
                continue
            record = wire.to_record(message)
            # A partition revoked during this consume() may still have messages in the batch;
            # tracking them would commit for a partition another member owns now.
            if record.tp in self.assignment and self._tracker.track(record.tp, record.offset):
                records.append(record)
        return records

    def _apply_requests(self, client: ConsumerClient) -> None:
        with self._requests_lock:
            requests, self._requests = self._requests, {}
        pause = {tp for tp, p in requests.items() if p and tp in self.assignment} - self.paused
        resume = {tp for tp, p in requests.items() if not p} & self.paused
        try:
            if pause:
                client.pause(wire.theirs(pause))
                log.info("fetching paused: %s", _names(pause))
            if resume:
                client.resume(wire.theirs(resume))
                log.info("fetching resumed: %s", _names(resume))
        except KafkaException as exc:
            raise from_exception(exc, "pause/resume") from None
        self.paused = (self.paused | pause) - resume

    def _commit_if_due(self, client: ConsumerClient) -> None:
        now = self._clock()
        if not self._commit_requested and now < self._next_commit:
            return
        self._commit_requested, self._next_commit = False, now + self._commit_interval
        offsets = self._tracker.committable_offsets(self.assignment)
        if not offsets:
            return
        try:
            client.commit(offsets=wire.theirs_at(offsets), asynchronous=True)
        except KafkaException as exc:
            self._count(kafka_error(exc), "commit")
            return
        self._tracker.mark_committed(offsets)  # undone by _on_commit if the broker refuses

    def _refresh_lag_if_due(self, client: ConsumerClient) -> None:
        now = self._clock()
        if now < self._next_lag:
            return
        self._next_lag = now + self._lag_interval
        lag = {}
        for tp, theirs in zip(sorted(self.assignment), wire.theirs(self.assignment), strict=True):
            try:
                _, high = client.get_watermark_offsets(theirs, cached=True)
            except KafkaException:
                continue  # nothing fetched yet, so no cached watermark
            position = self._tracker.position(tp)
            if position is not None and high >= 0:
                lag[tp] = max(high - position, 0)
        self.lag = lag

    def _live(self) -> ConsumerClient:
        if self._client is None:
            raise RuntimeError("AsyncConsumer.start() was not awaited")
        return self._client

    def _raise_failure(self) -> None:
        hook_failure = self._hooks.take_failure() if self._hooks is not None else None
        failure, self._fatal = self._fatal or hook_failure, None
        if failure is not None:
            raise failure

    # -- librdkafka callbacks: inside consume() or close() -----------------------------------

    def _on_assign(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        assigned = wire.ours(partitions)
        self.assignment = self.assignment | assigned
        if assigned:
            self._hook("on_assigned", self._listener.on_assigned(assigned))

    def _on_revoke(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        revoked = wire.ours(partitions)
        if revoked:
            self._hook("on_revoked", self._listener.on_revoked(revoked))
            self.commit(revoked)  # after the drain, before the partitions leave
        self._drop(revoked)

    def _on_lost(self, _: object, partitions: list[KafkaTopicPartition]) -> None:
        lost = wire.ours(partitions)
        if lost:
            self._hook("on_lost", self._listener.on_lost(lost))
        self._drop(lost)  # never commit: another member owns them already

    def _on_commit(self, error: KafkaError | None, partitions: list[KafkaTopicPartition]) -> None:
        failed = partitions if error is not None else [p for p in partitions if p.error]
        for p in failed:
            self._tracker.commit_failed(TopicPartition(p.topic, p.partition))
            self._count(p.error or error or KafkaError(KafkaError._FAIL), f"commit {p.topic}")

    def _on_error(self, error: KafkaError) -> None:
        # Client errors (error_cb) and message errors alike; a fatal one ends the next poll().
        if error.code() == KafkaError._PARTITION_EOF:
            return
        self._count(error, "consume")
        if error.fatal() and self._fatal is None:
            self._fatal = from_error(error, "consume")

    def _hook(self, name: str, hook: Coroutine[Any, Any, None]) -> None:
        if self._hooks is None:
            hook.close()
            return
        self._hooks.run(name, hook)

    def _drop(self, partitions: Partitions) -> None:
        # librdkafka keeps a partition's pause flag across revoke and re-assignment, while our
        # view starts every assignment unpaused: resume now, while the partitions are still
        # assigned, or one that comes back would stay paused for good (librdkafka#1849).
        stale = partitions & self.paused
        if stale:
            try:
                self._live().resume(wire.theirs(stale))
            except KafkaException as exc:
                self._count(kafka_error(exc), "resume")
        self._tracker.forget(partitions)
        self.assignment = self.assignment - partitions
        self.paused = self.paused - partitions
        self.lag = {tp: n for tp, n in self.lag.items() if tp not in partitions}

    def _count(self, error: KafkaError, doing: str) -> None:
        self.errors[error.name()] += 1
        log.warning("%s", from_error(error, doing))


def _names(partitions: Iterable[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions))
