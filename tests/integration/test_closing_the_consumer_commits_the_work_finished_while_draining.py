"""Closing waits for in-flight work (up to a deadline), commits what finished, then leaves."""

from __future__ import annotations

import asyncio

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import TopicPartition
from tests.kafka_support import committed, consumer_config, new_topic, poll_until, produce


class RecordingListener:
    def __init__(self) -> None:
        self.revoked: list[frozenset[TopicPartition]] = []

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        pass

    async def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        self.revoked.append(partitions)

    async def on_lost(self, partitions: frozenset[TopicPartition]) -> None:
        raise AssertionError("a clean close never loses partitions")


async def finish_later(tracker: OffsetTracker, tp: TopicPartition, offsets: list[int]) -> None:
    await asyncio.sleep(0.2)
    for offset in offsets:
        tracker.done(tp, offset)


async def test_work_finishing_during_the_drain_is_committed_on_close(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"close-{unique}")
    group = f"close-{unique}"
    tp = TopicPartition(topic, 0)
    produce(kafka_bootstrap, topic, [b"r"] * 5)
    tracker, listener = OffsetTracker(), RecordingListener()
    config = consumer_config(kafka_bootstrap, group)
    consumer = AsyncConsumer(config, [topic], tracker, listener, commit_interval=3600)
    await consumer.start()
    await poll_until(consumer, lambda got: len(got) == 5)
    for offset in (0, 3):
        tracker.done(tp, offset)
    in_flight = asyncio.create_task(finish_later(tracker, tp, [4, 1, 2]))

    await consumer.close(drain_deadline=30)

    assert in_flight.done()
    assert committed(kafka_bootstrap, group, [tp]) == {0: 5}
    assert listener.revoked == [frozenset({tp})]


async def test_close_gives_up_on_work_that_outlives_the_drain_and_commits_before_it(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"close-stuck-{unique}")
    group = f"close-stuck-{unique}"
    tp = TopicPartition(topic, 0)
    produce(kafka_bootstrap, topic, [b"r"] * 4)
    tracker = OffsetTracker()
    config = consumer_config(kafka_bootstrap, group)
    consumer = AsyncConsumer(config, [topic], tracker, commit_interval=3600)
    await consumer.start()
    await poll_until(consumer, lambda got: len(got) == 4)
    for offset in (0, 1, 3):
        tracker.done(tp, offset)  # 2 never finishes

    await consumer.close(drain_deadline=0.3)

    assert committed(kafka_bootstrap, group, [tp]) == {0: 2}
