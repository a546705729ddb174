"""The Flex access token: fetched once for everyone, renewed before it expires, replaced on 401.

Tokens live ten minutes and Flex asks clients not to fetch one per request. However many
coroutines need a token at the same moment, exactly one fetch is in flight and all of them
share its result, or its error (single flight). A token is renewed ``margin`` seconds before
its ``expires`` instant; after a 401 the caller invalidates the token it used, and only the
first such report clears the cache, so a burst of 401s costs one new token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the instant (seconds since the epoch) after which it is not used."""

    value: SecretStr
    expires_at: float
    renew_at: float


class TokenCache:
    """Single-flight cache of the current access token."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[SecretStr, float]]],
        *,
        margin_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # ``fetch`` returns the token and its expiry in seconds since the epoch.
        self._fetch = fetch
        self._margin = margin_seconds
        self._clock = clock
        self._token: AccessToken | None = None
        self._pending: asyncio.Task[AccessToken] | None = None

    def __repr__(self) -> str:
        state = "empty" if self._token is None else f"expires_at={self._token.expires_at:.0f}"
        return f"TokenCache({state})"

    async def current(self) -> SecretStr:
        """A token that is not about to expire, fetching one if needed (once for all callers)."""
        token = self._token
        if token is not None and self._clock() < token.renew_at:
            return token.value
        if self._pending is None:
            self._pending = asyncio.create_task(self._renew())
            self._pending.add_done_callback(self._forget)
        # Shield: a caller that is cancelled must not cancel the fetch others are waiting on.
        return (await asyncio.shield(self._pending)).value

    def invalidate(self, rejected: SecretStr) -> None:
        """Forget ``rejected`` after Flex answered 401 to it (no-op if already replaced)."""
        token = self._token
        if token is not None and token.value.get_secret_value() == rejected.get_secret_value():
            self._token = None

    async def _renew(self) -> AccessToken:
        fetched_at = self._clock()
        value, expires_at = await self._fetch()
        # Renew ``margin`` early, but never so early that a short-lived token is never reused.
        early = min(self._margin, max(0.0, expires_at - fetched_at) / 2)
        self._token = AccessToken(value, expires_at, expires_at - early)
        return self._token

    def _forget(self, task: asyncio.Task[AccessToken]) -> None:
        self._pending = None
        if not task.cancelled():
            # Mark the error as seen: the waiters got it; nobody else should log it again.
            task.exception()
