"""Parked work runs again when due: the store hands each due item to exactly one worker.

A parked item keeps its input (the record's value), so it runs through the same ``Router`` as a
fresh record, under a stand-in record with partition and offset -1: the same handlers, the same
dead-letter and retry rules. Any worker may run any parked item, whichever partition it came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from consumer.errors import TransientError
from consumer.kafka.records import Record
from consumer.routing import Router
from consumer.store import DueJob, Store

log = logging.getLogger(__name__)


class RetryRunner:
    """Polls the store for due parked work and settles it."""

    def __init__(
        self,
        store: Store,
        router: Router,
        topics_by_kind: dict[str, str],
        interval: float = 1.0,
        batch: int = 100,
    ) -> None:
        self._store = store
        self._router = router
        self._topics = topics_by_kind
        self._interval = interval
        self._batch = batch

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: take what is due, settle it, sleep when nothing is."""
        while not stop.is_set():
            try:
                jobs = await self._store.take_due(self._batch)
            except TransientError as exc:
                log.warning("cannot read parked work: %s", exc)
                jobs = []
            if jobs:
                await asyncio.gather(*(self._router.settle(self._record(job)) for job in jobs))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    def _record(self, job: DueJob) -> Record:
        return Record(self._topics[job.kind], -1, -1, job.key.encode(), job.payload.encode())
