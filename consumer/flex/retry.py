"""When to try a Flex call again: capped exponential backoff with full jitter, and Retry-After.

Only ``FlexUnavailable`` is retried. A 4xx (``FlexRejected``) is final: the same body would be
refused again. Retrying a POST is safe because every call that creates something carries a
stable key: ``/evaluate`` an idempotency key derived from the transaction id, a refund the
caller's per-command message, a cancel the order id.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

from consumer.flex.errors import FlexUnavailable
from consumer.settings import FlexSettings

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, how long between them; sleep and randomness injectable for tests."""

    max_attempts: int = 5
    base_seconds: float = 0.2
    cap_seconds: float = 10.0
    retry_after_cap_seconds: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    @classmethod
    def from_settings(cls, settings: FlexSettings) -> RetryPolicy:
        """The policy configured by the FLEXMIT_FLEX__* variables."""
        return cls(
            max_attempts=settings.max_attempts,
            base_seconds=settings.retry_base_seconds,
            cap_seconds=settings.retry_cap_seconds,
            retry_after_cap_seconds=settings.retry_after_cap_seconds,
        )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), jittered."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        # Full jitter: many workers failing together must not come back together.
        return self.jitter() * ceiling

    def delay(self, attempt: int, error: FlexUnavailable) -> float | None:
        """Seconds to wait before the next attempt, or None when it is not worth waiting here."""
        if attempt >= self.max_attempts:
            return None
        if error.retry_after is None:
            return self.backoff(attempt)
        # Flex asked for a pause; sleeping longer than the cap holds a worker slot for too
        # long, so the caller gets the error (with retry_after) and reschedules instead.
        return error.retry_after if error.retry_after <= self.retry_after_cap_seconds else None

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Await ``operation`` until it succeeds, fails permanently, or attempts run out."""
        attempt = 1
        while True:
            try:
                return await operation()
            except FlexUnavailable as error:
                pause = self.delay(attempt, error)
                if pause is None:
                    raise
                log.warning("%s; attempt %d, retrying in %.2fs", error, attempt, pause)
                await self.sleep(pause)
                attempt += 1


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if absent."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())
