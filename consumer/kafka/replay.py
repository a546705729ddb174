"""``flexmit dlq replay``: re-publish dead letters to the topic each came from.

The dead-letter topic is read by a consumer group of its own, one per ``--topic`` filter, so a
filtered replay never hides the records another filter (or a full replay) still has to see.
Each record's key, value and original headers (without ``flexmit-dlq-*``) go to the topic named
by its ``flexmit-dlq-topic`` header; its offset is committed only once the broker acknowledged
the copy (at-least-once: a crash may replay a record twice, which the handlers' idempotency
absorbs). A run stops at the end offsets it saw when it started, or after ``--limit`` records.
``--dry-run`` prints what would be replayed and moves no offset forward.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.errors import KafkaUnavailable
from consumer.kafka import dead_letter
from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.records import Record
from consumer.kafka.translate import from_exception, kafka_error
from consumer.settings import KafkaSettings

log = logging.getLogger(__name__)

Output = Callable[[str], None]
ConfigValue = str | int | float | bool


@dataclass(frozen=True)
class ReplayOptions:
    """What to replay."""

    topic: str | None = None  # only dead letters that came from this topic
    limit: int | None = None  # at most this many records
    dry_run: bool = False
    idle_seconds: float = 10.0  # give up waiting for records after this long without any


@dataclass
class ReplayReport:
    """What a run did."""

    replayed: int = 0
    skipped: int = 0  # from another topic than the filter
    unroutable: int = 0  # no flexmit-dlq-topic header: cannot know where it belongs

    def summary(self, dry_run: bool) -> str:
        """One line for the operator."""
        verb = "would replay" if dry_run else "replayed"
        return (
            f"{verb} {self.replayed}, skipped {self.skipped} from other topics, "
            f"{self.unroutable} without an origin"
        )


def replay_group(group_id: str, topic: str | None) -> str:
    """The consumer group of a replay with this filter."""
    return f"{group_id}-dlq-replay" + (f"-{topic}" if topic else "")


def origin(record: Record) -> str | None:
    """The topic a dead letter came from, if it says."""
    topic = record.header(dead_letter.TOPIC)
    return topic.decode(errors="replace") if topic else None


async def replay_dead_letters(
    kafka: KafkaSettings, options: ReplayOptions, out: Output = print
) -> ReplayReport:
    """Run one replay against the cluster of ``kafka``."""
    group = replay_group(kafka.group_id, options.topic)
    source = kafka.topics.dead_letter
    config = kafka.client_config()
    ends = await asyncio.to_thread(unread_ends, config | {"group.id": group}, source)
    tracker = OffsetTracker()
    consumer = AsyncConsumer(config | {"group.id": group}, [source], tracker)
    async with AsyncProducer(config) as producer:
        await consumer.start()
        try:
            return await _Run(consumer, tracker, producer, options, out).until(ends)
        finally:
            # Nothing is in flight by now; unfinished records (past the end or the limit,
            # or everything in a dry run) stay uncommitted for the next run.
            await consumer.close(drain_deadline=0)


def unread_ends(config: dict[str, ConfigValue], topic: str, within: float = 30.0) -> dict[int, int]:
    """Per partition with records the group has not read yet: the end offset to reach."""
    client = Consumer(config | {"enable.auto.commit": False})
    give_up = time.monotonic() + within
    try:
        while True:
            try:
                return _unread_ends(client, topic)
            except KafkaException as exc:
                # A group's first request may meet a coordinator still loading: retry a while.
                if kafka_error(exc).fatal() or time.monotonic() > give_up:
                    raise from_exception(exc, f"reading the offsets of {topic}") from None
                time.sleep(0.5)
    finally:
        client.close()


def _unread_ends(client: Consumer, topic: str) -> dict[int, int]:
    metadata = client.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        raise KafkaUnavailable(f"cannot read dead-letter topic {topic}")
    asked = [KafkaTopicPartition(topic, p) for p in metadata.partitions]
    ends = {}
    for committed in client.committed(asked, timeout=10):
        low, high = client.get_watermark_offsets(committed, timeout=10)
        if max(committed.offset, low) < high:
            ends[committed.partition] = high
    return ends


class _Run:
    def __init__(
        self,
        consumer: AsyncConsumer,
        tracker: OffsetTracker,
        producer: AsyncProducer,
        options: ReplayOptions,
        out: Output,
    ) -> None:
        self._consumer, self._tracker, self._producer = consumer, tracker, producer
        self._options, self._out = options, out
        self.report = ReplayReport()

    async def until(self, ends: dict[int, int]) -> ReplayReport:
        remaining = dict(ends)
        loop = asyncio.get_running_loop()
        last_record = loop.time()
        while remaining and not self._limit_reached():
            records = await self._consumer.poll(100, 0.5)
            if records:
                last_record = loop.time()
            elif loop.time() - last_record > self._options.idle_seconds:
                log.warning("no dead letters for %ss; stopping early", self._options.idle_seconds)
                break
            wanted = [r for r in records if r.offset < remaining.get(r.partition, 0)]
            for record in wanted:
                if record.offset + 1 >= remaining[record.partition]:
                    del remaining[record.partition]
            await self._replay(wanted)
        return self.report

    async def _replay(self, records: list[Record]) -> None:
        copies = []
        for record in records:
            if self._limit_reached():
                break
            target = self._target(record)
            if self._options.dry_run:
                if target is not None:
                    self._out(f"would replay {record} to {target}: {_reason(record)}")
            elif target is None:
                self._tracker.done(record.tp, record.offset)  # never ours to replay
            else:
                copies.append((record, target))
        # Sends are enqueued in call order, so each partition keeps its order.
        await asyncio.gather(*(self._copy(record, target) for record, target in copies))

    def _target(self, record: Record) -> str | None:
        target = origin(record)
        if target is None:
            self.report.unroutable += 1
            log.warning("%s has no %s header; skipped", record, dead_letter.TOPIC)
        elif self._options.topic is not None and target != self._options.topic:
            self.report.skipped += 1
            return None
        else:
            self.report.replayed += 1
        return target

    async def _copy(self, record: Record, target: str) -> None:
        headers = dead_letter.without_dead_letter_headers(record.headers)
        await self._producer.send(target, record.value, key=record.key, headers=headers)
        self._tracker.done(record.tp, record.offset)

    def _limit_reached(self) -> bool:
        return self._options.limit is not None and self.report.replayed >= self._options.limit


def _reason(record: Record) -> str:
    reason = record.header(dead_letter.REASON)
    return reason.decode(errors="replace") if reason else "no reason given"
