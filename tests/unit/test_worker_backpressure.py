"""At the in-flight limit the worker waits for room; only a limit that lasts pauses fetching."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.rebalance import Partitions
from consumer.kafka.records import Record, TopicPartition
from consumer.metrics import Metrics
from consumer.worker import Limits, Worker
from tests.kafka_support import until

TP = TopicPartition("payment-declined", 0)
LIMITS = Limits(max_in_flight=10, drain_timeout=5.0, poll_batch=4, poll_wait=0.01, pause_after=0.2)


class Backlog:
    """A consumer whose partitions hold records, each with its own key; starts with ``TP``."""

    def __init__(self, count: int) -> None:
        self.partitions: dict[TopicPartition, deque[Record]] = {}
        self.asked: list[int] = []
        self.pauses = 0
        self._paused: Partitions = frozenset()
        self.assign(TP, count)

    def assign(self, tp: TopicPartition, count: int) -> None:
        """``tp`` joins the assignment, unpaused (as librdkafka assigns it), with ``count``."""
        keys = (f"{tp.partition}-{n}".encode() for n in range(count))
        records = (Record(tp.topic, tp.partition, n, key, b"{}") for n, key in enumerate(keys))
        self.partitions[tp] = deque(records)

    async def poll(self, max_records: int, max_wait: float) -> list[Record]:
        self.asked.append(max_records)
        queues = [q for tp, q in self.partitions.items() if tp not in self._paused and q]
        if not queues:
            await asyncio.sleep(max_wait)
            return []
        await asyncio.sleep(0)
        return [queues[0].popleft() for _ in range(min(max_records, len(queues[0])))]

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        self.pauses += 1
        self._paused |= frozenset(partitions)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        self._paused -= frozenset(partitions)

    def assignment(self) -> Partitions:
        return frozenset(self.partitions)

    def paused(self) -> Partitions:
        return self._paused

    async def close(self, drain_deadline: float = 10.0) -> None:
        pass


class Flex:
    """Settles each record after ``wait()``; counts how many run at once."""

    def __init__(self, wait: Callable[[], Awaitable[object]]) -> None:
        self._wait = wait
        self.running = self.peak = self.settled = 0

    async def settle(self, record: Record) -> object:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            return await self._wait()
        finally:
            self.running -= 1
            self.settled += 1


@contextlib.asynccontextmanager
async def working(consumer: Backlog, flex: Flex) -> AsyncIterator[None]:
    """A worker on ``consumer`` and ``flex`` until the block ends, then stopped and drained."""
    stop = asyncio.Event()
    worker = Worker(OffsetTracker(), flex, LIMITS, Metrics())
    running = asyncio.create_task(worker.run(consumer, stop))
    try:
        yield
    finally:
        stop.set()
        await running


async def test_a_worker_at_the_limit_waits_for_room_without_pausing() -> None:
    consumer, flex = Backlog(200), Flex(lambda: asyncio.sleep(0.01))
    async with working(consumer, flex):
        await until(lambda: flex.settled == 200)
    assert flex.peak == LIMITS.max_in_flight
    assert max(consumer.asked) <= LIMITS.poll_batch
    assert consumer.pauses == 1, "only the shutdown paused fetching"


async def test_a_limit_that_lasts_pauses_fetching_until_half_has_drained() -> None:
    gate = asyncio.Event()
    consumer, flex = Backlog(30), Flex(gate.wait)
    async with working(consumer, flex):
        await until(lambda: flex.running == LIMITS.max_in_flight)
        await asyncio.sleep(LIMITS.pause_after / 2)
        assert consumer.paused() == frozenset(), "not paused before pause_after"
        await until(lambda: consumer.paused() == {TP})

        gate.set()
        await until(lambda: flex.settled == 30)
        assert consumer.paused() == frozenset(), "resumed once the work drained"
    assert flex.peak == LIMITS.max_in_flight


async def test_a_partition_assigned_while_paused_does_not_fill_past_the_limit() -> None:
    gate = asyncio.Event()
    consumer, flex = Backlog(30), Flex(gate.wait)
    async with working(consumer, flex):
        await until(lambda: consumer.paused() == {TP})
        other = TopicPartition(TP.topic, 1)
        consumer.assign(other, 30)
        await until(lambda: consumer.paused() == {TP, other}, 5.0)
        await asyncio.sleep(0.1)
        assert flex.peak == LIMITS.max_in_flight

        gate.set()
        await until(lambda: flex.settled == 60)
