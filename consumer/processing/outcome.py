"""What handlers share: how a record ended, how to publish, how to wait for a busy claim."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
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


def backoff(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential with full jitter, or Retry-After."""
    if retry_after is not None:
        return min(retry_after, cap)
    return random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))  # noqa: S311
