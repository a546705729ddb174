"""Helpers for tests against the real broker: topics, raw produce, committed offsets, polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import Record, TopicPartition
from consumer.kafka.topics import ensure_topics


def new_topic(bootstrap: str, name: str, partitions: int = 1) -> str:
    """Create ``name`` on the broker and return it."""
    ensure_topics({"bootstrap.servers": bootstrap}, [name], partitions=partitions)
    return name


def consumer_config(bootstrap: str, group: str, **extra: Any) -> dict[str, Any]:
    """A group member's configuration tuned for a single local broker."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
    }
    return config | extra


def produce(bootstrap: str, topic: str, values: Sequence[bytes], partition: int = 0) -> None:
    """Write ``values`` to one partition, in order, and wait until all are stored."""
    # Not idempotent (its start-up costs half a second); one request in flight keeps order.
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 0,
        "max.in.flight.requests.per.connection": 1,
    })  # fmt: skip
    for value in values:
        producer.produce(topic, value=value, partition=partition)
    assert producer.flush(30) == 0


def committed(bootstrap: str, group: str, partitions: Sequence[TopicPartition]) -> dict[int, int]:
    """The group's committed offset per partition number (negative when none)."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        asked = [KafkaTopicPartition(tp.topic, tp.partition) for tp in partitions]
        return {tp.partition: tp.offset for tp in reader.committed(asked, timeout=10)}
    finally:
        reader.close()


async def poll_until(
    consumer: AsyncConsumer,
    enough: Callable[[list[Record]], bool],
    deadline: float = 30.0,
    max_records: int = 100,
) -> list[Record]:
    """Poll, collecting records, until ``enough(records)``; fail after ``deadline`` seconds."""
    records: list[Record] = []
    async with asyncio.timeout(deadline):
        while not enough(records):
            records += await consumer.poll(max_records, 0.2)
    return records


def finish(tracker: OffsetTracker, records: Sequence[Record]) -> None:
    """Report the work of ``records`` finished."""
    for record in records:
        tracker.done(record.tp, record.offset)


async def until(condition: Callable[[], bool], deadline: float = 30.0) -> None:
    """Wait until ``condition()`` holds; fail after ``deadline`` seconds."""
    async with asyncio.timeout(deadline):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)
