"""When a second member joins, the first drains and commits the partitions it gives up, and
the newcomer resumes right after that work: no gap, no finished record read twice."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

import pytest

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import Record, TopicPartition
from tests.kafka_support import committed, consumer_config, finish, new_topic, poll_until, produce

PARTITIONS = 4
OLD = 3  # records per partition before the second member joins


class DrainingListener:
    """Like the worker: on revoke, finishes the in-flight records of the revoked partitions."""

    def __init__(self, tracker: OffsetTracker) -> None:
        self.tracker = tracker
        self.in_flight: dict[TopicPartition, list[int]] = defaultdict(list)
        self.revoked: set[TopicPartition] = set()
        self.lost: set[TopicPartition] = set()

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        pass

    async def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        self.revoked |= partitions
        await asyncio.sleep(0.05)  # the drain takes a moment; the consumer thread waits for it
        for tp in partitions:
            for offset in self.in_flight.pop(tp, []):
                self.tracker.done(tp, offset)

    async def on_lost(self, partitions: frozenset[TopicPartition]) -> None:
        self.lost |= partitions


async def poll_both(
    a: AsyncConsumer, b: AsyncConsumer, enough: Callable[[list[Record]], bool]
) -> tuple[list[Record], list[Record]]:
    """Poll both members concurrently until ``enough(records of b)``."""
    got_a: list[Record] = []
    got_b: list[Record] = []
    async with asyncio.timeout(30):
        while not enough(got_b):
            records_a, records_b = await asyncio.gather(a.poll(100, 0.1), b.poll(100, 0.1))
            got_a += records_a
            got_b += records_b
    return got_a, got_b


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
async def test_a_joining_member_resumes_exactly_after_the_work_the_first_one_finished(
    kafka_bootstrap: str, unique: str, protocol: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"rebalance-{unique}", partitions=PARTITIONS)
    group = f"rebalance-{unique}"
    for p in range(PARTITIONS):
        produce(kafka_bootstrap, topic, [b"old"] * OLD, partition=p)
    config = consumer_config(kafka_bootstrap, group, **{"group.protocol": protocol})
    tracker_a, tracker_b = OffsetTracker(), OffsetTracker()
    listener = DrainingListener(tracker_a)

    async with AsyncConsumer(config, [topic], tracker_a, listener, commit_interval=3600) as a:
        for record in await poll_until(a, lambda got: len(got) == PARTITIONS * OLD):
            if record.offset == 0:
                tracker_a.done(record.tp, record.offset)  # finished at once
            else:
                listener.in_flight[record.tp].append(record.offset)  # still running

        async with AsyncConsumer(config, [topic], tracker_b) as b:

            def rebalanced(_: list[Record]) -> bool:
                taken = len(b.assignment())
                return taken > 0 and len(a.assignment()) + taken == PARTITIONS

            _, stale = await poll_both(a, b, rebalanced)
            handed_over = b.assignment()
            assert listener.revoked == handed_over
            assert committed(kafka_bootstrap, group, sorted(handed_over)) == {
                tp.partition: OLD for tp in handed_over
            }

            for p in range(PARTITIONS):
                produce(kafka_bootstrap, topic, [b"new"], partition=p)
            got_a, got_b = await poll_both(a, b, lambda got: {r.tp for r in got} == handed_over)
            finish(tracker_b, got_b)
            finish(tracker_a, got_a)
        for tp, offsets in listener.in_flight.items():
            finish(tracker_a, [Record(tp.topic, tp.partition, o, None, None) for o in offsets])

    assert listener.lost == set()
    assert stale == []
    # On every partition it took over, B's first record is the first one A had not finished.
    assert sorted((r.partition, r.offset) for r in got_b) == sorted(
        (tp.partition, OLD) for tp in handed_over
    )
    assert {r.tp for r in got_a} == {
        TopicPartition(topic, p) for p in range(PARTITIONS)
    } - handed_over
