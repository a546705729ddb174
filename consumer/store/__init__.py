"""The store: idempotency claims and order state, on SQLite (default) or PostgreSQL.

Every method is one transaction (batched with others by ``Database``); the units it runs are
in ``claims.py``, ``orders.py``, ``refunds.py`` and ``nonces.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from consumer import lifecycle
from consumer.events import OrderStatus, OrderStatusChanged
from consumer.store import claims, nonces, orders, refunds, schema
from consumer.store.claims import Claim, ClaimLost, ClaimState, DueJob
from consumer.store.database import Database, Tx
from consumer.store.orders import Applied, Order, Receipt, WebhookResult
from consumer.store.refunds import Reservation

__all__ = [
    "Applied", "Claim", "ClaimLost", "ClaimState", "DueJob", "Evaluation", "Order", "Receipt",
    "Reservation", "Store", "WebhookResult", "open_store",
]  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """What a worker learns when it starts on a declined payment."""

    claim: Claim
    order: Order
    held_elsewhere: Order | None  # another transaction of this merchant order Flex holds


class Store:
    """Async access to claims and orders for one worker process (``owner``)."""

    def __init__(
        self,
        database: Database,
        owner: str,
        lease: float = 60.0,
        owner_timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = database
        self.owner = owner
        self._lease = lease
        self._owner_timeout = owner_timeout
        self._clock = clock

    async def claim(self, kind: str, key: str) -> Claim:
        """Claim the effect ``(kind, key)`` for this worker."""
        return await self._db.run(partial(self._claim, kind=kind, key=key))

    async def begin_evaluation(
        self, transaction_id: str, merchant_order_id: str, amount_minor: int, currency: str
    ) -> Evaluation:
        """Claim the evaluation of a declined payment and open its order (PENDING)."""

        def unit(tx: Tx) -> Evaluation:
            claimed = self._claim(tx, "evaluate", transaction_id)
            order = orders.open_pending(tx, transaction_id, merchant_order_id, amount_minor,
                                        currency, self._clock())  # fmt: skip
            held = orders.held_elsewhere(tx, merchant_order_id, transaction_id)
            return Evaluation(claimed, order, held)

        return await self._db.run(unit)

    async def finish(
        self,
        kind: str,
        key: str,
        event: OrderStatusChanged | None,
        flex_order_id: str | None = None,
        expires_at: float | None = None,
    ) -> Claim:
        """Apply ``event`` (if any) and complete the claim, whose outcome is what to publish."""

        def unit(tx: Tx) -> Claim:
            now = self._clock()
            outcome = None
            if event is not None:
                applied = orders.apply(tx, event, now, flex_order_id, expires_at)
                outcome = applied.event
            return claims.complete(tx, kind, key, self.owner, outcome, now)

        return await self._db.run(unit)

    async def fail(self, kind: str, key: str, event: OrderStatusChanged | None) -> str | None:
        """Flex refused the effect for good: apply ``event`` and mark the claim failed."""

        def unit(tx: Tx) -> str | None:
            now = self._clock()
            outcome = orders.apply(tx, event, now).event if event is not None else None
            claims.fail(tx, kind, key, self.owner, outcome, now)
            return outcome

        return await self._db.run(unit)

    async def park(self, kind: str, key: str, payload: str, due: float, deadline: float) -> None:
        """Hand the claim to a store-driven retry at ``due``, keeping ``payload``."""
        await self._db.run(
            lambda tx: claims.park(tx, kind, key, self.owner, payload, due, deadline, self._clock())
        )

    async def take_due(self, limit: int) -> list[DueJob]:
        """Claim parked retries that are due now."""
        now = self._clock()
        return await self._db.run(
            lambda tx: claims.take_due(
                tx, self.owner, now, now + self._lease, now - self._owner_timeout, limit
            )
        )

    @contextlib.asynccontextmanager
    async def held(self, kind: str, key: str) -> AsyncIterator[None]:
        """Work under a claim; if the work is cancelled (abandoned on revoke or shutdown), the
        claim is released at once instead of blocking the next owner until its lease ends."""
        try:
            yield
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self._db.run(lambda tx: claims.release(tx, kind, key, self.owner))
                )
            raise

    async def heartbeat(self) -> None:
        """Keep this worker's claims from being taken over."""
        await self._db.run(lambda tx: claims.heartbeat(tx, self.owner, self._clock()))

    async def retire(self) -> None:
        """Clean shutdown: forget this worker so leftovers are taken over without waiting."""
        await self._db.run(lambda tx: claims.retire(tx, self.owner))

    async def get_order(self, transaction_id: str) -> Order | None:
        """The order of a transaction."""
        return await self._db.run(lambda tx: orders.get(tx, transaction_id))

    async def apply(self, event: OrderStatusChanged) -> Applied:
        """Apply a status that no claim guards (reconciler)."""
        return await self._db.run(lambda tx: orders.apply(tx, event, self._clock()))

    async def apply_webhook(
        self,
        flex_order_id: str,
        merchant_order_id: str | None,
        flex_event: str,
        build: Callable[[Order], OrderStatusChanged | None],
    ) -> WebhookResult:
        """Apply a Flex notification once per (order, event).

        ``build`` sees our refunds still in flight as refunded: Flex may announce a refund
        before the worker that asked for it has settled it.
        """

        def unit(tx: Tx) -> WebhookResult:
            def seen(order: Order) -> OrderStatusChanged | None:
                return build(refunds.with_pending(tx, order))

            return orders.apply_webhook(
                tx, flex_order_id, merchant_order_id, flex_event, seen, self._clock()
            )

        return await self._db.run(unit)

    async def find_order(
        self, flex_order_id: str | None, merchant_order_id: str | None
    ) -> Order | None:
        """The order Flex calls ``flex_order_id``, else the latest for the merchant's order id."""
        return await self._db.run(lambda tx: orders.find(tx, flex_order_id, merchant_order_id))

    async def remember_nonce(self, nonce: str) -> bool:
        """Record a webhook nonce; False when it was seen before (a replay)."""
        return await self._db.run(lambda tx: nonces.remember(tx, nonce, self._clock()))

    async def forget_nonce(self, nonce: str) -> None:
        """Forget a nonce whose request was not processed, so that a resend may carry it."""
        await self._db.run(lambda tx: nonces.forget(tx, nonce))

    async def prune_nonces(self, older_than: float) -> int:
        """Delete nonces seen more than ``older_than`` seconds ago."""
        before = self._clock() - older_than
        return await self._db.run(lambda tx: nonces.prune(tx, before))

    async def reserve_refund(
        self, transaction_id: str, command_id: str, amount_minor: int | None
    ) -> Reservation:
        """Set aside a refund amount for ``command_id`` within what remains to refund."""
        return await self._db.run(
            lambda tx: refunds.reserve(tx, transaction_id, command_id, amount_minor, self._clock())
        )

    async def settle_refund(
        self, command_id: str, succeeded: bool, event: OrderStatusChanged
    ) -> Claim:
        """Close a refund reservation, apply its result event and complete its command claim."""

        def unit(tx: Tx) -> Claim:
            now = self._clock()
            refunds.settle(tx, command_id, succeeded, now)
            applied = orders.apply(tx, event, now)
            return claims.complete(tx, "command", command_id, self.owner, applied.event, now)

        return await self._db.run(unit)

    async def overdue(
        self,
        status: OrderStatus,
        grace: float,
        limit: int,
        after: tuple[float, str] | None = None,
    ) -> list[Order]:
        """Orders still in ``status`` ``grace`` seconds after their expiry, a page at a time.

        Pass the (expires_at, transaction_id) of the last order of a page to get the next one.
        """
        before = self._clock() - grace
        return await self._db.run(lambda tx: orders.overdue(tx, status, before, limit, after))

    async def count_held_by_flex(self) -> int:
        """Orders Flex still holds (for the pending-orders gauge)."""
        return await self._db.run(lambda tx: orders.count_in(tx, lifecycle.HELD_BY_FLEX))

    async def prune(self, older_than: float) -> int:
        """Delete finished claims older than ``older_than`` seconds."""
        before = self._clock() - older_than
        return await self._db.run(lambda tx: claims.prune(tx, before))

    def close(self) -> None:
        """Finish queued work and close the connections."""
        self._db.close()

    def _claim(self, tx: Tx, kind: str, key: str) -> Claim:
        now = self._clock()
        return claims.claim(tx, kind, key, self.owner, now, now + self._lease,
                            now - self._owner_timeout)  # fmt: skip


def open_database(url: str) -> Database:
    """The database a store URL names, migrated to the current schema."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        from consumer.store import sqlite

        database = sqlite.open_database(Path(url.removeprefix("sqlite:///")))
    elif parts.scheme in ("postgresql", "postgres"):
        from consumer.store import postgres

        database = postgres.open_database(url)
    else:
        raise ValueError(f"unsupported store URL scheme {parts.scheme!r}")
    database.run_sync(schema.migrate)
    return database


def open_store(url: str, owner: str, lease: float = 60.0, owner_timeout: float = 15.0) -> Store:
    """A store for ``owner`` on the database at ``url``."""
    return Store(open_database(url), owner, lease, owner_timeout)
