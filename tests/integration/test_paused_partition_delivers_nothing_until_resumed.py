"""A paused partition delivers nothing, even records already prefetched, until it is resumed."""

from __future__ import annotations

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import Record, TopicPartition
from tests.kafka_support import consumer_config, finish, new_topic, poll_until, produce


def values(records: list[Record], partition: int) -> list[bytes | None]:
    return [record.value for record in records if record.partition == partition]


async def test_pause_stops_one_partition_while_the_other_flows_and_resume_restarts_it(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"pause-{unique}", partitions=2)
    paused_tp = TopicPartition(topic, 0)
    produce(kafka_bootstrap, topic, [b"a0", b"a1", b"a2", b"a3"], partition=0)
    produce(kafka_bootstrap, topic, [b"b0"], partition=1)
    config = consumer_config(kafka_bootstrap, f"pause-{unique}")
    tracker = OffsetTracker()
    async with AsyncConsumer(config, [topic], tracker) as consumer:
        # One record of partition 0 taken; the rest of it is prefetched in librdkafka's queue.
        before = await poll_until(consumer, lambda got: b"a0" in values(got, 0), max_records=1)
        consumer.pause([paused_tp])
        produce(kafka_bootstrap, topic, [b"a4"], partition=0)
        produce(kafka_bootstrap, topic, [b"b1", b"b2"], partition=1)
        during = await poll_until(consumer, lambda got: b"b2" in values(got, 1))
        during += [r for _ in range(5) for r in await consumer.poll(100, 0.1)]
        assert consumer.paused() == {paused_tp}

        consumer.resume([paused_tp])
        after = await poll_until(consumer, lambda got: b"a4" in values(got, 0))
        assert consumer.paused() == frozenset()
        finish(tracker, before + during + after)

    taken_before_pause = values(before, 0)
    assert values(during, 0) == []
    assert taken_before_pause + values(after, 0) == [b"a0", b"a1", b"a2", b"a3", b"a4"]
