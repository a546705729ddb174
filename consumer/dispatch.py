"""Per-key ordered concurrency: records of one key run in order, different keys in parallel.

A chain is the queue of one (topic, partition, key); one task works through it and ends when it
is empty. The dispatcher never blocks the caller: the worker watches ``in_flight`` and pauses
fetching when it is too high, which is what bounds memory under any backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Keyed(Protocol):
    """What the dispatcher needs of a record."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...


R = TypeVar("R", bound=Keyed)
ChainKey = tuple[str, int, bytes | int]


@dataclass
class _Chain(Generic[R]):
    queue: deque[R] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class KeyedDispatcher(Generic[R]):
    """Runs ``handle`` for each record, in order per key, and calls ``done`` after each."""

    def __init__(self, handle: Callable[[R], Awaitable[None]], done: Callable[[R], None]) -> None:
        self._handle = handle
        self._done = done
        self._chains: dict[ChainKey, _Chain[R]] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.broken = asyncio.Event()  # a handler raised: the worker must stop (crash-only)

    @property
    def in_flight(self) -> int:
        """Records submitted and not yet finished."""
        return self._in_flight

    def submit(self, record: R) -> None:
        """Queue ``record`` behind earlier records of its key; start its chain if idle."""
        key: ChainKey = (record.topic, record.partition, record.key or record.offset)
        chain = self._chains.get(key)
        if chain is None:
            chain = self._chains[key] = _Chain()
        chain.queue.append(record)
        self._in_flight += 1
        self._idle.clear()
        if chain.task is None:
            chain.task = asyncio.create_task(self._run(key, chain), name=f"chain-{key[:2]}")

    async def drain(self, partitions: Iterable[tuple[str, int]], within: float) -> bool:
        """Wait until the records of ``partitions`` are finished; False if the time ran out."""
        wanted = set(partitions)
        tasks = [c.task for k, c in self._chains.items() if k[:2] in wanted and c.task]
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=within)
        return not pending

    async def drain_all(self, within: float) -> bool:
        """Wait until everything submitted is finished; False if the time ran out."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def abandon(self, partitions: Iterable[tuple[str, int]]) -> int:
        """Stop working on ``partitions``; their unfinished records are left for redelivery."""
        wanted = set(partitions)
        doomed = [(k, c) for k, c in self._chains.items() if k[:2] in wanted]
        for key, chain in doomed:
            self._in_flight -= len(chain.queue)
            chain.queue.clear()
            if chain.task is not None:
                chain.task.cancel()
            del self._chains[key]
        await asyncio.gather(*(c.task for _, c in doomed if c.task), return_exceptions=True)
        self._update_idle()
        return len(doomed)

    async def _run(self, key: ChainKey, chain: _Chain[R]) -> None:
        while chain.queue:
            record = chain.queue[0]
            try:
                await self._handle(record)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The worker's handler settles every failure itself; reaching here is a bug.
                # Leave the record unfinished (redelivered after a restart, never lost) and ask
                # the worker to stop: limping on would stall this partition's commits forever.
                log.exception("unhandled error on %s[%d]@%d", key[0], key[1], record.offset)
                self.broken.set()
                return
            chain.queue.popleft()
            self._in_flight -= 1
            self._done(record)
        if self._chains.get(key) is chain:
            del self._chains[key]
        self._update_idle()

    def _update_idle(self) -> None:
        if self._in_flight == 0:
            self._idle.set()
