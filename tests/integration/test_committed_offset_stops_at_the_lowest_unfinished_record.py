"""Records finished out of order are committed only up to the lowest unfinished one."""

from __future__ import annotations

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import TopicPartition
from tests.kafka_support import committed, consumer_config, new_topic, poll_until, produce, until


async def test_the_broker_holds_exactly_the_offset_the_tracker_calls_committable(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"commit-{unique}")
    group = f"commit-{unique}"
    tp = TopicPartition(topic, 0)
    produce(kafka_bootstrap, topic, [b"%d" % n for n in range(10)])
    tracker = OffsetTracker()

    async def commit_and_check(expected: int) -> None:
        assert tracker.committable(tp) == expected
        consumer.request_commit()
        await consumer.poll(10, 0.1)
        await until(lambda: committed(kafka_bootstrap, group, [tp]) == {0: expected})
        assert tracker.committable(tp) is None  # nothing new since that commit

    config = consumer_config(kafka_bootstrap, group)
    async with AsyncConsumer(config, [topic], tracker, commit_interval=3600) as consumer:
        await poll_until(consumer, lambda got: len(got) == 10)
        for offset in (5, 0, 7, 1, 2, 6):
            tracker.done(tp, offset)
        await commit_and_check(3)  # 3 and 4 unfinished: 5, 6, 7 must wait for them

        for offset in (4, 3):
            tracker.done(tp, offset)
        await commit_and_check(8)

        for offset in (9, 8):
            tracker.done(tp, offset)
        await commit_and_check(10)


async def test_nothing_past_an_unfinished_first_record_is_ever_committed(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"nocommit-{unique}")
    group = f"nocommit-{unique}"
    tp = TopicPartition(topic, 0)
    produce(kafka_bootstrap, topic, [b"a", b"b"])
    tracker = OffsetTracker()
    config = consumer_config(kafka_bootstrap, group)
    consumer = AsyncConsumer(config, [topic], tracker, commit_interval=0)
    await consumer.start()
    try:
        await poll_until(consumer, lambda got: len(got) == 2)
        tracker.done(tp, 1)
        for _ in range(3):
            await consumer.poll(10, 0.1)
    finally:
        await consumer.close(drain_deadline=0)  # offset 0 never finished
    assert committed(kafka_bootstrap, group, [tp])[0] <= 0
