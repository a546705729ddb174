"""Lost webhooks: orders still SUBMITTED past their expiry plus a grace period are looked up.

``GET /v1/orders/{id}`` gives the order entity's status, which the reconciler turns into the
notification Flex would have sent and hands to the same intake as a webhook: same store
transition, same event id, so a webhook arriving later is taken for a resend.

    Completed          -> order.completed
    Cancelled          -> order.expired    (the window is over, and a cancel of ours would
                                            have made the order CANCELLED already)
    Returned           -> order.completed, then order.refunded
    Capturerequired    -> order.capturerequired
    Draft, Onhold, Processing, Problem, unknown -> still Flex's: asked again next round

Each round pages through every overdue order, ``batch`` at a time up to ``per_round``, and the
next round resumes after the last one, so orders Flex keeps forever do not starve the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

from consumer.errors import PermanentError, TransientError
from consumer.events import OrderStatus, StatusSource
from consumer.flex.orders import Order as FlexOrder
from consumer.flex.orders import OrderStatus as FlexState
from consumer.store import Order
from consumer.webhooks.intake import Intake
from consumer.webhooks.notification import FlexWebhook

log = logging.getLogger(__name__)

EVENTS_BY_STATE: dict[FlexState, tuple[str, ...]] = {
    FlexState.COMPLETED: ("order.completed",),
    FlexState.CANCELLED: ("order.expired",),
    FlexState.RETURNED: ("order.completed", "order.refunded"),
    FlexState.CAPTUREREQUIRED: ("order.capturerequired",),
}

Cursor = tuple[float, str]


class OverdueOrders(Protocol):
    """The part of ``consumer.store.Store`` the reconciler reads."""

    async def overdue(
        self, status: OrderStatus, grace: float, limit: int, after: Cursor | None = None
    ) -> list[Order]:
        """A page of orders still in ``status`` past their expiry plus ``grace``."""


class OrderLookup(Protocol):
    """The part of ``consumer.flex.FlexClient`` the reconciler calls."""

    async def order(self, order_id: str) -> FlexOrder:
        """``GET /v1/orders/{id}``."""


@dataclass(frozen=True)
class Schedule:
    """How often and how much the reconciler looks."""

    interval: float = 60.0
    grace: float = 3600.0
    batch: int = 100
    per_round: int = 1000


class Reconciler:
    """Finds overdue orders and settles them from Flex's answer."""

    def __init__(
        self, store: OverdueOrders, flex: OrderLookup, intake: Intake, schedule: Schedule
    ) -> None:
        self._store = store
        self._flex = flex
        self._intake = intake
        self._schedule = schedule
        self._cursor: Cursor | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """A round every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.run_once(stop)
            except TransientError as exc:
                log.warning("reconciliation round stopped early: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._schedule.interval)

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """One round (cut short when ``stop`` is set); returns how many orders it settled."""
        settled = looked = 0
        while looked < self._schedule.per_round:
            page = await self._store.overdue(
                OrderStatus.SUBMITTED, self._schedule.grace, self._schedule.batch, self._cursor
            )
            for order in page:
                # Checked between orders, never inside one: an order's store update and its
                # publication must not be parted, as no one would resend them.
                if stop is not None and stop.is_set():
                    return settled
                settled += await self._settle(order)
                self._cursor = (order.expires_at or 0.0, order.transaction_id)
            looked += len(page)
            if len(page) < self._schedule.batch:
                self._cursor = None  # the end: the next round starts from the oldest again
                break
        return settled

    async def _settle(self, order: Order) -> bool:
        if order.flex_order_id is None:
            return False
        try:
            found = await self._flex.order(order.flex_order_id)
        except PermanentError as exc:
            log.warning("cannot reconcile %s: %s", order.transaction_id, exc)
            return False
        events = EVENTS_BY_STATE.get(found.state, ())
        for event in events:
            notification = FlexWebhook(
                Event=event, OrderId=order.flex_order_id, ExternalOrderId=order.merchant_order_id
            )
            await self._intake.handle(notification, StatusSource.RECONCILER)
        if events:
            log.info("reconciled %s: Flex says %s", order.transaction_id, found.state.name)
        return bool(events)
