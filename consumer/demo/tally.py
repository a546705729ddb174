"""What the demo has seen come out of the product: statuses per transaction and dead letters."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from consumer.events import OrderStatus, OrderStatusChanged
from consumer.money import to_major

# Statuses after which nothing more is expected for a demo decline.
SETTLED = frozenset(OrderStatus) - {OrderStatus.SUBMITTED, OrderStatus.CHALLENGE,
                                    OrderStatus.CAPTURE_REQUIRED}  # fmt: skip


@dataclass(frozen=True)
class Snapshot:
    """Counts at one moment, for the live table and the summary."""

    produced: Counter[str]
    statuses: Counter[str]
    ever_submitted: int
    dead_letters: int
    transmitted: int
    unsettled: int
    rescued_by_currency: dict[str, Decimal]


@dataclass
class Tally:
    """Thread-safe: a reader thread feeds it, the display and the end condition read it."""

    produced: Counter[str] = field(default_factory=Counter)
    _latest: dict[str, OrderStatusChanged] = field(default_factory=dict)
    _submitted: set[str] = field(default_factory=set)
    _expected: set[str] = field(default_factory=set)
    _dead_letters: int = 0
    _transmitted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expect(self, kind: str, transaction_id: str | None) -> None:
        """A record was produced; declines (``transaction_id``) are awaited until settled."""
        with self._lock:
            self.produced[kind] += 1
            if transaction_id is not None:
                self._expected.add(transaction_id)

    def statuses(self, events: Iterable[OrderStatusChanged]) -> None:
        """Order-status events read from Kafka (duplicates, if any, carry the same id)."""
        with self._lock:
            for event in events:
                if event.status is OrderStatus.SUBMITTED:
                    self._submitted.add(event.transaction_id)
                current = self._latest.get(event.transaction_id)
                if current is None or event.sequence > current.sequence:
                    self._latest[event.transaction_id] = event

    def dead_lettered(self, count: int) -> None:
        """Dead letters read from Kafka."""
        with self._lock:
            self._dead_letters += count

    def transmitted(self, count: int) -> None:
        """Approvals Flex has received (from the sandbox's ledger)."""
        with self._lock:
            self._transmitted = count

    def _settled(self, transaction_id: str) -> bool:
        event = self._latest.get(transaction_id)
        return event is not None and event.status in SETTLED

    def snapshot(self) -> Snapshot:
        """A consistent copy of the counts."""
        with self._lock:
            latest = list(self._latest.values())
            unsettled = sum(1 for tx in self._expected if not self._settled(tx))
            return Snapshot(
                produced=Counter(self.produced),
                statuses=Counter(event.status.value for event in latest),
                ever_submitted=len(self._submitted),
                dead_letters=self._dead_letters,
                transmitted=self._transmitted,
                unsettled=unsettled,
                rescued_by_currency=_rescued(latest),
            )


def _rescued(events: list[OrderStatusChanged]) -> dict[str, Decimal]:
    totals: dict[str, int] = Counter()
    for event in events:
        if event.status is OrderStatus.APPROVED and event.currency and event.amount_minor:
            totals[event.currency] += event.amount_minor
    return {currency: to_major(minor, currency) for currency, minor in sorted(totals.items())}
