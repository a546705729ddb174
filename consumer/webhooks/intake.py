"""A verified Flex notification becomes at most one order-status event, once.

    no status for it (other event, no OrderId) ........ raw topic              -> ignored
    store.apply_webhook, once per (OrderId, event):
        APPLIED ....... publish the new event                                  -> published
        DUPLICATE ..... publish the recorded event again, same id              -> duplicate
        UNCHANGED ..... the order has that status already; nothing new         -> duplicate
        REGRESSION .... recorded, never published                              -> out_of_order
        UNKNOWN_ORDER . raw topic                                              -> ignored
        NOT_READY ..... NotReady: Flex must resend once /evaluate is recorded

The store is written before Kafka. A publish that fails raises, the caller answers 503, Flex
resends, and the DUPLICATE path publishes the recorded event: at least once, one event id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from consumer.errors import TransientError
from consumer.events import StatusSource
from consumer.store import Order, Receipt, WebhookResult
from consumer.webhooks import mapping
from consumer.webhooks.notification import FlexWebhook
from consumer.webhooks.publisher import Publisher


class Result(StrEnum):
    """What became of a notification (the ``result`` label of the webhook metric)."""

    PUBLISHED = "published"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    IGNORED = "ignored"


class NotReady(TransientError):
    """The order is ours but Flex's answer to /evaluate is not recorded yet: resend later."""


class WebhookStore(Protocol):
    """The part of ``consumer.store.Store`` the intake uses."""

    async def apply_webhook(
        self,
        flex_order_id: str,
        merchant_order_id: str | None,
        flex_event: str,
        build: mapping.Build,
    ) -> WebhookResult:
        """Apply a notification once per (order, event)."""

    async def find_order(
        self, flex_order_id: str | None, merchant_order_id: str | None
    ) -> Order | None:
        """The order a notification names, if it is ours."""


_RESULTS = {
    Receipt.APPLIED: Result.PUBLISHED,
    Receipt.DUPLICATE: Result.DUPLICATE,
    Receipt.UNCHANGED: Result.DUPLICATE,
    Receipt.REGRESSION: Result.OUT_OF_ORDER,
}


class Intake:
    """Applies notifications to the store and publishes what they stand for."""

    def __init__(
        self, store: WebhookStore, publisher: Publisher, now: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._now = now

    async def handle(
        self, notification: FlexWebhook, source: StatusSource = StatusSource.WEBHOOK
    ) -> Result:
        """Settle one notification; raises NotReady or another TransientError to be resent."""
        if not mapping.has_status(notification):
            order = await self._store.find_order(
                notification.order_id, notification.external_order_id
            )
            return await self._raw(notification, order)
        assert notification.order_id is not None  # has_status checked it
        build = mapping.builder(notification, source, self._now())
        result = await self._store.apply_webhook(
            notification.order_id,
            notification.external_order_id,
            mapping.receipt_key(notification),
            build,
        )
        return await self._settle(notification, result)

    async def _settle(self, notification: FlexWebhook, result: WebhookResult) -> Result:
        if result.receipt is Receipt.NOT_READY:
            raise NotReady(f"{notification.event} for an order Flex has not answered for yet")
        if result.receipt is Receipt.UNKNOWN_ORDER:
            return await self._raw(notification, None)
        if result.receipt in (Receipt.APPLIED, Receipt.DUPLICATE) and result.event is not None:
            assert result.order is not None  # an event is only recorded for an order
            await self._publisher.status(result.order.transaction_id, result.event)
        return _RESULTS[result.receipt]

    async def _raw(self, notification: FlexWebhook, order: Order | None) -> Result:
        transaction_id = order.transaction_id if order is not None else None
        event = mapping.raw_event(notification, transaction_id, self._now())
        await self._publisher.raw(mapping.raw_key(notification), event)
        return Result.IGNORED
