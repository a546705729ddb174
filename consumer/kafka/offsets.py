"""Which offset is safe to commit while records of one partition finish out of order.

Kafka commits one offset per partition: "everything before this is done". Records of a partition
are dispatched in offset order but finish in any order (different keys run concurrently), so the
offset to commit is the lowest one not yet finished, or the last tracked + 1 when all are done.
Committing further could skip a record that never finished; that is the one thing this module
must never do.

Thread-safety: the worker calls ``done`` on the event loop while the consumer thread calls
``track`` (for each record it returns), ``committable``, ``mark_committed`` and ``forget``. A
lock guards every method instead of shipping snapshots between threads, because the revoke
path must read "committable now, after the drain" from the consumer thread at one precise
moment; a snapshot taken earlier on the loop would be stale. Every critical section is O(1)
(or O(partitions) for the whole-tracker views) and never blocks on I/O, so the event loop can
only ever wait a few microseconds for it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from consumer.kafka.records import TopicPartition

Clock = Callable[[], float]


@dataclass
class _Partition:
    # Tracked offsets in dispatch (= offset) order; the head is trimmed while it is finished,
    # so after every `done` the head is the lowest unfinished offset.
    order: deque[int] = field(default_factory=deque)
    # Unfinished offset -> monotonic time it was tracked.
    unfinished: dict[int, float] = field(default_factory=dict)
    last_tracked: int = -1
    committed: int | None = None
    committed_at: float = 0.0

    def position(self) -> int | None:
        if self.order:
            return self.order[0]
        return self.last_tracked + 1 if self.last_tracked >= 0 else None

    def trim(self) -> None:
        while self.order and self.order[0] not in self.unfinished:
            self.order.popleft()


class OffsetTracker:
    """Per-partition bookkeeping of dispatched and finished records; amortised O(1) per record."""

    def __init__(self, clock: Clock = time.monotonic, recommit_after: float = 10.0) -> None:
        self._clock = clock
        # An offset sent once is sent again after this long even when nothing moved: a commit
        # lost around a broker or coordinator outage, with no failure report that matches it,
        # would otherwise stay lost while the partition is quiet (seen in the bad-day test).
        self._recommit_after = recommit_after
        self._lock = threading.Lock()
        self._partitions: dict[TopicPartition, _Partition] = {}
        self._outstanding = 0

    def track(self, tp: TopicPartition, offset: int) -> bool:
        """Record that ``offset`` was dispatched; False (ignored) if it is not past the last one."""
        with self._lock:
            state = self._partitions.setdefault(tp, _Partition())
            if offset <= state.last_tracked:
                return False
            state.order.append(offset)
            state.unfinished[offset] = self._clock()
            state.last_tracked = offset
            self._outstanding += 1
            return True

    def done(self, tp: TopicPartition, offset: int) -> bool:
        """Record that the work of ``offset`` finished; False if it was not outstanding.

        A late ``done`` for a forgotten partition, or for an offset finished already, is
        ignored: a drain that timed out on revoke may finish its work after the partition left.
        """
        with self._lock:
            state = self._partitions.get(tp)
            if state is None or state.unfinished.pop(offset, None) is None:
                return False
            self._outstanding -= 1
            state.trim()
            return True

    def committable(self, tp: TopicPartition) -> int | None:
        """The offset to commit (next to read); None if it was sent within ``recommit_after``."""
        with self._lock:
            return self._committable(tp)

    def committable_offsets(
        self, partitions: Iterable[TopicPartition] | None = None
    ) -> dict[TopicPartition, int]:
        """``committable`` for each of ``partitions`` (default: all), leaving out the Nones."""
        with self._lock:
            wanted = self._partitions.keys() if partitions is None else partitions
            offsets = {tp: self._committable(tp) for tp in wanted}
        return {tp: offset for tp, offset in offsets.items() if offset is not None}

    def position(self, tp: TopicPartition) -> int | None:
        """Lowest unfinished offset, or last tracked + 1; None when nothing was tracked."""
        with self._lock:
            state = self._partitions.get(tp)
            return None if state is None else state.position()

    def mark_committed(self, offsets: dict[TopicPartition, int]) -> None:
        """Remember what was sent, and when, so ``committable`` reports progress (or a resend)."""
        with self._lock:
            for tp, offset in offsets.items():
                state = self._partitions.get(tp)
                if state is not None:
                    state.committed, state.committed_at = offset, self._clock()

    def commit_failed(self, tp: TopicPartition) -> None:
        """Undo ``mark_committed`` for a commit the broker refused, so it is sent again.

        Whatever offset the failure report names: sending the current position once more costs
        one request, while keeping a mark the broker never stored would stall the partition.
        """
        with self._lock:
            state = self._partitions.get(tp)
            if state is not None:
                state.committed = None

    def outstanding(self, tp: TopicPartition) -> int:
        """Records of ``tp`` tracked but not finished."""
        with self._lock:
            state = self._partitions.get(tp)
            return 0 if state is None else len(state.unfinished)

    def total_outstanding(self) -> int:
        """Records tracked but not finished, over all partitions."""
        return self._outstanding

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Drop all state of ``partitions`` (revoked or lost); their late ``done`` calls no-op."""
        with self._lock:
            for tp in partitions:
                state = self._partitions.pop(tp, None)
                if state is not None:
                    self._outstanding -= len(state.unfinished)

    def oldest_unfinished_age(self) -> float | None:
        """Seconds since the oldest unfinished record was tracked; None when all are done."""
        with self._lock:
            # Per partition the head is both the lowest and the earliest-tracked unfinished one.
            heads = [s.unfinished[s.order[0]] for s in self._partitions.values() if s.order]
            return self._clock() - min(heads) if heads else None

    def _committable(self, tp: TopicPartition) -> int | None:
        state = self._partitions.get(tp)
        position = None if state is None else state.position()
        if state is None or position is None:
            return None
        if (
            position == state.committed
            and self._clock() - state.committed_at < self._recommit_after
        ):
            return None
        return position
