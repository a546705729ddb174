"""A partition revoked while paused (backpressure) flows again when it is assigned back.

librdkafka keeps a partition's pause flag across revoke and re-assignment; the consumer's own
view starts every assignment unpaused. If the two disagreed, the worker would never resume the
partition and its records would wait forever: the stall seen when killed workers rejoined.
"""

from __future__ import annotations

import asyncio

import pytest

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import Record
from tests.kafka_support import consumer_config, finish, new_topic, poll_until, produce

PARTITIONS = 2


async def rebalance_until(a: AsyncConsumer, b: AsyncConsumer, partitions: int) -> list[Record]:
    """Poll both members until ``a`` holds ``partitions``; return what ``a`` got meanwhile."""
    got: list[Record] = []
    async with asyncio.timeout(30):
        while len(a.assignment()) != partitions or not b.assignment():
            records, _ = await asyncio.gather(a.poll(100, 0.1), b.poll(100, 0.1))
            got += records
    return got


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
async def test_a_partition_revoked_while_paused_delivers_after_it_is_assigned_back(
    kafka_bootstrap: str, unique: str, protocol: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"repause-{unique}", partitions=PARTITIONS)
    config = consumer_config(kafka_bootstrap, f"repause-{unique}", **{"group.protocol": protocol})
    tracker = OffsetTracker()
    async with AsyncConsumer(config, [topic], tracker) as a:
        await poll_until(a, lambda _: len(a.assignment()) == PARTITIONS)
        a.pause(a.assignment())
        async with AsyncConsumer(config, [topic], OffsetTracker()) as b:
            await rebalance_until(a, b, PARTITIONS - 1)
            moved = next(iter(b.assignment()))
        # b left: a gets ``moved`` back, and believes it is not paused.
        await poll_until(a, lambda _: moved in a.assignment())
        assert moved not in a.paused()
        produce(kafka_bootstrap, topic, [b"after"], partition=moved.partition)
        got = await poll_until(a, lambda got: any(r.tp == moved for r in got), deadline=15)
        finish(tracker, got)
    assert [r.value for r in got if r.tp == moved] == [b"after"]
