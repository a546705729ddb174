"""What handlers share: how a record ended, how to publish, how to wait for a busy claim."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from consumer.errors import PermanentError, TransientError

# Publishes one order-status event (JSON) keyed by its transaction id; returns once the broker
# acknowledged it (acks=all), so the input may then be marked done.
Publish = Callable[[str, str], Awaitable[None]]


class Outcome(StrEnum):
    """How a record ended (the ``outcome`` label of flexmit_records_handled_total)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    DECLINED = "declined"
    NOT_ELIGIBLE = "not_eligible"
    NOT_SUBMITTED = "not_submitted"
    TRANSMITTED = "transmitted"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    SKIPPED = "skipped"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    FAILED = "failed"
    DEAD_LETTERED = "dead_lettered"


class ClaimBusy(TransientError):
    """Another live worker is handling this key right now; ask again shortly."""


class Rejected(PermanentError):
    """Flex refused the request for good; the FAILED status is already published."""


@dataclass(frozen=True)
class Backoff:
    """Exponential delays with full jitter, capped; Flex's Retry-After wins when it sent one."""

    base: float
    cap: float

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        return random.uniform(0, min(self.cap, self.base * 2 ** max(0, attempt - 1)))  # noqa: S311


# Parked work: the first retry within 15 s, then doubling up to every 15 minutes.
PARKING = Backoff(base=15.0, cap=900.0)
