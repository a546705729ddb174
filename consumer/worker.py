"""The worker loop: poll, dispatch with per-key order, mark done, keep the group alive.

Backpressure. A poll asks for no more records than there is room for under the in-flight
limit. At the limit the worker waits for some room (a tenth of a batch) rather than pausing:
librdkafka drops whatever it prefetched for a paused partition and takes about 0.6 s to fetch
again after a resume, long enough for the work in flight to run dry while a backlog waits
(pausing at the limit and resuming at half, the worker sat idle a third of each second).
Only when no room comes within ``pause_after`` (Flex slow or down) are the partitions paused,
and polling goes on (rebalances and liveness depend on it) until the work has drained to
half. Memory stays bounded either way: librdkafka's prefetch queue is bounded too
(``kafka/consumer.py``).

Offsets are committed by the consumer up to the lowest record not yet done. On revoke the
partitions' work is drained within a deadline, or abandoned (the next owner redoes it; claims
make that safe). On SIGTERM: stop fetching, drain, commit, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from consumer.dispatch import KeyedDispatcher
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.rebalance import Partitions
from consumer.kafka.records import Record, TopicPartition
from consumer.metrics import Metrics

log = logging.getLogger(__name__)


class GroupConsumer(Protocol):
    """What the worker uses of ``consumer.kafka.consumer.AsyncConsumer``."""

    async def poll(self, max_records: int, max_wait: float) -> list[Record]: ...
    def pause(self, partitions: Iterable[TopicPartition]) -> None: ...
    def resume(self, partitions: Iterable[TopicPartition]) -> None: ...
    def assignment(self) -> Partitions: ...
    def paused(self) -> Partitions: ...
    async def close(self, drain_deadline: float = 10.0) -> None: ...


class Settles(Protocol):
    """What the worker uses of ``consumer.routing.Router``: settle a record, whatever happens."""

    async def settle(self, record: Record) -> object: ...


@dataclass(frozen=True)
class Limits:
    """How much the worker takes on and how long it waits."""

    max_in_flight: int
    drain_timeout: float
    poll_batch: int = 500
    poll_wait: float = 0.1
    pause_after: float = 1.0  # seconds at the limit before fetching is paused
    stall_after: float = 300.0  # liveness fails when nothing finished for this long


class Worker:
    """One member of the consumer group (it is also the consumer's rebalance listener)."""

    def __init__(
        self, tracker: OffsetTracker, router: Settles, limits: Limits, metrics: Metrics
    ) -> None:
        self._tracker = tracker
        self._router = router
        self._limits = limits
        self._metrics = metrics
        self._dispatcher: KeyedDispatcher[Record] = KeyedDispatcher(self._settle, self._done)
        # The smallest poll worth a round trip to the consumer thread, once at the limit.
        self._refill = max(1, min(limits.poll_batch, limits.max_in_flight) // 10)
        self._room = asyncio.Event()
        self.last_poll = self.last_progress = time.monotonic()
        self.stopping = False

    @property
    def in_flight(self) -> int:
        """Records dispatched and not finished."""
        return self._dispatcher.in_flight

    @property
    def broken(self) -> bool:
        """A handler raised past the router: a bug; the process should stop and restart."""
        return self._dispatcher.broken.is_set()

    async def run(self, consumer: GroupConsumer, stop: asyncio.Event) -> None:
        """Poll and dispatch until ``stop`` (or a bug), then drain and close the consumer."""
        while not stop.is_set() and not self.broken:
            await self._wait_for_room(consumer)
            records = await consumer.poll(self._free(), self._limits.poll_wait)
            self.last_poll = time.monotonic()
            self._metrics.polled()
            for record in records:
                self._dispatcher.submit(record)
            self._apply_backpressure(consumer)
        await self._shut_down(consumer)

    def alive(self) -> tuple[bool, str]:
        """Liveness by progress: polling, and finishing records when there are some."""
        now = time.monotonic()
        if now - self.last_poll > 60:
            return False, f"no poll for {now - self.last_poll:.0f} s"
        stalled = now - self.last_progress
        if self.in_flight and stalled > self._limits.stall_after:
            return False, f"{self.in_flight} records in flight, none finished for {stalled:.0f} s"
        return True, f"{self.in_flight} in flight"

    async def on_assigned(self, partitions: Partitions) -> None:
        """New partitions: nothing to prepare; their records will simply arrive."""
        log.info("assigned %s", _names(partitions))

    async def on_revoked(self, partitions: Partitions) -> None:
        """Finish the partitions' work within the deadline, else leave it to the next owner."""
        keys = [(tp.topic, tp.partition) for tp in partitions]
        if not await self._dispatcher.drain(keys, self._limits.drain_timeout):
            abandoned = await self._dispatcher.abandon(keys)
            log.warning("revoked %s: abandoned %d unfinished keys", _names(partitions), abandoned)
        log.info("revoked %s", _names(partitions))

    async def on_lost(self, partitions: Partitions) -> None:
        """Someone else owns these already: stop their work at once; nothing is committed."""
        await self._dispatcher.abandon([(tp.topic, tp.partition) for tp in partitions])
        log.warning("lost %s", _names(partitions))

    async def _settle(self, record: Record) -> None:
        await self._router.settle(record)

    def _done(self, record: Record) -> None:
        self._tracker.done(record.tp, record.offset)
        self.last_progress = time.monotonic()
        if self._free() >= self._refill:
            self._room.set()

    def _free(self) -> int:
        """Records a poll may ask for: a batch, or what fits under the limit (at least one:
        a poll must happen even when paused, and then it returns nothing)."""
        free = self._limits.max_in_flight - self._dispatcher.in_flight
        return max(1, min(self._limits.poll_batch, free))

    async def _wait_for_room(self, consumer: GroupConsumer) -> None:
        """At the limit, wait for room without polling; past ``pause_after``, pause instead."""
        if self._limits.max_in_flight - self._dispatcher.in_flight >= self._refill:
            return
        if consumer.paused():
            # The limit has lasted and fetching is paused: a partition assigned since then
            # arrived unpaused and must not fill the worker past the limit.
            if fetching := consumer.assignment() - consumer.paused():
                consumer.pause(fetching)
            return
        self._room.clear()
        try:
            await asyncio.wait_for(self._room.wait(), self._limits.pause_after)
        except TimeoutError:
            consumer.pause(consumer.assignment() - consumer.paused())

    def _apply_backpressure(self, consumer: GroupConsumer) -> None:
        in_flight, limit = self._dispatcher.in_flight, self._limits.max_in_flight
        if in_flight <= limit // 2 and consumer.paused():
            consumer.resume(consumer.paused())

    async def _shut_down(self, consumer: GroupConsumer) -> None:
        self.stopping = True
        consumer.pause(consumer.assignment())
        if not await self._dispatcher.drain_all(self._limits.drain_timeout):
            left = await self._dispatcher.abandon([(tp.topic, tp.partition)
                                                   for tp in consumer.assignment()])  # fmt: skip
            log.warning("shutdown: %d keys unfinished after the drain deadline", left)
        await consumer.close(drain_deadline=1.0)
        log.info("consumer closed; offsets committed")


def _names(partitions: Partitions) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions)) or "nothing"
