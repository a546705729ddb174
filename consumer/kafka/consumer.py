"""An asyncio face for librdkafka's consumer, confined to the one thread it owns.

Threads. librdkafka's consumer is not thread-safe, so every call into it (create, subscribe,
consume, pause, resume, commit, close, watermarks) runs on a single-thread executor owned by
``AsyncConsumer``; rebalance, commit and error callbacks run there too, inside ``consume()`` or
``close()``. The event loop never calls librdkafka: ``pause``/``resume``/``request_commit`` only
leave requests that the next ``poll`` applies on the consumer thread, and ``assignment``/``lag``
read snapshots that the consumer thread replaces whole.

Offsets (at-least-once). Auto-commit and auto offset store are off. ``poll`` tracks every record
it returns in the shared ``OffsetTracker`` before returning it, so the committable offset can
never pass a record the worker has not reported ``done``. Before each ``consume()`` the consumer
thread commits what the tracker calls committable (asynchronously, every ``commit_interval``
seconds or on request), only for partitions still assigned.

Rebalance (cooperative, incremental). On assign: the ``on_assigned`` hook. On revoke: the
``on_revoked`` hook (the worker drains those partitions, within its deadline), THEN a synchronous
commit of their committable offsets, then the tracker forgets them. On lost: the ``on_lost``
hook, forget, and NEVER commit: someone else owns them already. Hooks run on the event loop
while the consumer thread waits; see ``rebalance.py`` for the deadlock hazard.

Group protocol. Default: classic with ``cooperative-sticky``, which every broker since 2.4
speaks. ``group.protocol=consumer`` (KIP-848, brokers >= 4.0) may be passed in the config; the
classic-only keys are then dropped. Both give the same incremental callbacks used here.

Rules for the caller (the worker):
- Call ``done`` on the tracker for EVERY record ``poll`` returned, whatever became of it
  (handled, skipped, dead-lettered once the dead letter is acknowledged). Do not call ``track``:
  ``poll`` did. A record never done holds its partition's commits back for good.
- Keep calling ``poll`` even when every partition is paused: rebalance callbacks run only
  inside it, and not polling for ``max.poll.interval.ms`` (5 min) loses the assignment.
- One task polls. ``close`` after that task stopped polling; a poll after close began raises.
- Rebalance hooks must not await ``poll``/``close`` (deadlock until ``hook_deadline``), and
  ``hook_deadline`` must exceed the worker's own drain deadline.
- After a drain that timed out, in-flight work of a revoked partition may still finish: its
  ``done`` is ignored (the partition was forgotten) and its effects may repeat on the new
  owner, which the handlers' idempotency must absorb.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from confluent_kafka import Consumer

from consumer.errors import KafkaUnavailable
from consumer.kafka.member import ClientFactory, GroupMember
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.rebalance import NoRebalanceListener, Partitions, RebalanceListener
from consumer.kafka.records import Record, TopicPartition

ConfigValue = str | int | float | bool
T = TypeVar("T")

DEFAULTS: dict[str, ConfigValue] = {
    "auto.offset.reset": "earliest",
    "partition.assignment.strategy": "cooperative-sticky",
    "enable.partition.eof": False,
    # Bounded prefetch. librdkafka's defaults keep up to 100k messages per partition and 64 MB
    # in the consumer queue; under a huge backlog that is memory for records we cannot start.
    "queued.min.messages": 1000,
    "queued.max.messages.kbytes": 16384,
}
# Not overridable: at-least-once rests on committing only what the tracker allows.
REQUIRED: dict[str, ConfigValue] = {"enable.auto.commit": False, "enable.auto.offset.store": False}
CLASSIC_ONLY = ("partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms")


def build_config(config: Mapping[str, ConfigValue]) -> dict[str, ConfigValue]:
    """Our defaults, then ``config``, then the settings at-least-once depends on."""
    merged = DEFAULTS | dict(config)
    if str(merged.get("group.protocol", "classic")).lower() == "consumer":
        for key in CLASSIC_ONLY:
            merged.pop(key, None)
    return merged | REQUIRED


class AsyncConsumer:
    """A subscribed group member whose librdkafka calls all run on one thread it owns."""

    def __init__(
        self,
        config: Mapping[str, ConfigValue],
        topics: Sequence[str],
        tracker: OffsetTracker,
        listener: RebalanceListener | None = None,
        *,
        commit_interval: float = 0.5,
        lag_interval: float = 1.0,
        hook_deadline: float = 60.0,
        client_factory: ClientFactory = Consumer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tracker = tracker
        self._member = GroupMember(
            client_factory, build_config(config), list(topics), tracker,
            listener or NoRebalanceListener(), commit_interval=commit_interval,
            lag_interval=lag_interval, hook_deadline=hook_deadline, clock=clock,
        )  # fmt: skip
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "kafka-consumer")
        self._carried: list[Record] = []
        self._started = self._closing = self._closed = False

    async def start(self) -> None:
        """Create the client and subscribe, on the consumer thread."""
        await self._run(self._member.start, asyncio.get_running_loop())
        self._started = True

    async def poll(self, max_records: int, max_wait: float) -> list[Record]:
        """Up to ``max_records`` records, waiting at most ``max_wait`` seconds; each is tracked."""
        if self._carried:
            carried, self._carried = self._carried, []
            return [record for record in carried if record.tp in self.assignment()]
        if self._closing:
            raise KafkaUnavailable("the consumer is closing")
        future = self._submit(self._member.poll, max_records, max_wait)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The records are tracked already; dropping them would stall their partitions'
            # commits for good, so the next poll() returns them.
            future.add_done_callback(self._carry_over)
            raise

    def pause(self, partitions: Iterable[TopicPartition]) -> None:
        """Stop fetching ``partitions`` from the next poll on (ignored if not assigned)."""
        self._member.request(partitions, pause=True)

    def resume(self, partitions: Iterable[TopicPartition]) -> None:
        """Fetch ``partitions`` again from the next poll on."""
        self._member.request(partitions, pause=False)

    def request_commit(self) -> None:
        """Commit at the next poll rather than waiting for the commit interval."""
        self._member.request_commit()

    def assignment(self) -> Partitions:
        """The partitions this member holds now."""
        return self._member.assignment

    def paused(self) -> Partitions:
        """The assigned partitions currently paused."""
        return self._member.paused

    def lag(self) -> dict[TopicPartition, int]:
        """Per partition: high watermark minus the lowest unfinished offset (refreshed by poll)."""
        return dict(self._member.lag)

    @property
    def last_poll_monotonic(self) -> float | None:
        """When ``consume()`` last returned (``clock`` time): liveness by progress."""
        return self._member.last_poll

    @property
    def errors(self) -> Counter[str]:
        """Consumer errors by librdkafka name (message errors, client errors, failed commits)."""
        return self._member.errors

    async def close(self, drain_deadline: float = 10.0) -> None:
        """Stop fetching, wait up to ``drain_deadline`` for in-flight work, commit, leave."""
        if self._closed or not self._started:
            return
        self._closing = True
        try:
            await self._run(self._member.pause_everything)
            await self._wait_for_outstanding(drain_deadline)
            await self._run(self._member.commit, self.assignment())
            await self._run(self._member.close)
        finally:
            self._closed = True
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _submit(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await self._submit(function, *args)

    def _carry_over(self, future: asyncio.Future[list[Record]]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._carried = future.result() + self._carried

    async def _wait_for_outstanding(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + deadline
        # Polling is simpler than an event the tracker would have to fire across threads.
        while self._tracker.total_outstanding() > 0 and loop.time() < give_up:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
