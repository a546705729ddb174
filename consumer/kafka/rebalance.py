"""Rebalance hooks: the worker's async reactions to partitions arriving and leaving.

librdkafka calls its rebalance callbacks inside ``consume()`` (or ``close()``), on the consumer
thread. ``HookRunner`` runs the worker's coroutine on the event loop with
``run_coroutine_threadsafe(...).result(deadline)`` and blocks the consumer thread meanwhile. That
is safe because the event loop is free: it is only awaiting the executor future of that
``consume()``.

DEADLOCK HAZARD: a hook must never await anything that needs the consumer thread
(``AsyncConsumer.poll``/``close``, or anything waiting for them): that thread is busy running
the hook, so the hook would wait for itself until the deadline. Likewise nothing on the event
loop may block synchronously on the consumer thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from consumer.kafka.records import TopicPartition

log = logging.getLogger(__name__)

Partitions = frozenset[TopicPartition]


class RebalanceListener(Protocol):
    """What the worker does when partitions come and go; every method runs on the event loop."""

    async def on_assigned(self, partitions: Partitions) -> None:
        """``partitions`` now belong to this member; records of them will follow."""

    async def on_revoked(self, partitions: Partitions) -> None:
        """Finish (within the deadline) the in-flight work of ``partitions``; commit follows."""

    async def on_lost(self, partitions: Partitions) -> None:
        """``partitions`` already belong to someone else: abandon their work; nothing commits."""


class NoRebalanceListener:
    """A listener that does nothing, for consumers without in-flight work (tests, replay)."""

    async def on_assigned(self, partitions: Partitions) -> None:
        """Nothing to prepare."""

    async def on_revoked(self, partitions: Partitions) -> None:
        """Nothing to drain."""

    async def on_lost(self, partitions: Partitions) -> None:
        """Nothing to abandon."""


class HookRunner:
    """Runs hooks on the loop from the consumer thread; keeps the first failure to raise later."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._loop = loop
        self._deadline = deadline
        self.failure: BaseException | None = None

    def run(self, name: str, hook: Coroutine[Any, Any, None]) -> None:
        """Run ``hook`` on the loop and wait for it, at most the deadline; never raises."""
        try:
            future = asyncio.run_coroutine_threadsafe(hook, self._loop)
        except RuntimeError as exc:  # the loop is closed
            hook.close()
            self._keep(name, exc)
            return
        try:
            future.result(self._deadline)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.warning("%s hook still running after %ss; cancelled it", name, self._deadline)
        except Exception as exc:  # noqa: BLE001 - re-raised from the next poll(), not swallowed
            self._keep(name, exc)

    def take_failure(self) -> BaseException | None:
        """The first hook failure since the last call, if any."""
        failure, self.failure = self.failure, None
        return failure

    def _keep(self, name: str, exc: BaseException) -> None:
        log.error("%s hook failed: %r", name, exc)
        if self.failure is None:
            self.failure = exc
