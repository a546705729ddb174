"""Timers on virtual time: one heap, one background task, O(log n) per scheduled action.

Actions are plain callables run on the event loop. They must look at the order's current state
before acting, because nothing is ever unscheduled: a cancelled order's rescue timer still fires
and finds the order cancelled. That keeps cancel O(1) and makes "no webhook after cancel" a
property of the state machine rather than of timer bookkeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable
from datetime import datetime

from consumer.sandbox.clock import VirtualClock

Action = Callable[[], None]

_log = logging.getLogger(__name__)


class Scheduler:
    """Runs each action once virtual time reaches its due instant."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Action]] = []
        self._sequence = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def at(self, due: datetime, action: Action) -> None:
        """Run ``action`` when virtual time reaches ``due``."""
        entry = (due.timestamp(), next(self._sequence), action)
        heapq.heappush(self._heap, entry)
        if self._heap[0] is entry:
            self._wake.set()

    def run_due(self) -> int:
        """Run every action that is due now; return how many ran."""
        ran = 0
        now = self._clock.timestamp()
        while self._heap and self._heap[0][0] <= now:
            _, _, action = heapq.heappop(self._heap)
            ran += 1
            try:
                action()
            except Exception:  # noqa: BLE001 - one broken timer must not stop the others
                _log.exception("sandbox timer failed")
        return ran

    def nudge(self) -> None:
        """Recompute the background wait (after the clock jumped)."""
        self._wake.set()

    def pending(self) -> int:
        """Number of timers not yet run."""
        return len(self._heap)

    def clear(self) -> None:
        """Forget every timer (sandbox reset)."""
        self._heap.clear()
        self._wake.set()

    def start(self) -> None:
        """Start the background task on the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the background task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self.run_due()
            self._wake.clear()
            delay = self._clock.real_delay(self._heap[0][0]) if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
