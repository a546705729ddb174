"""What a Flex notification stands for in our contract (contract §7.2, §8.1).

    order.completed              -> APPROVED
    order.expired                -> EXPIRED
    order.cancelled              -> CANCELLED
    order.refunded               -> REFUNDED (PARTIALLY_REFUNDED when EventData says so),
                                    nothing when our own refund commands account for it
    order.capturerequired        -> CAPTURE_REQUIRED
    payment.chargeback.received  -> CHARGEBACK
    anything else, or no OrderId -> no status: a FlexNotification for the raw topic

Event ids come from ``statuses.for_order``: the same status of the same transaction has the
same id whether a webhook, a resent webhook or the reconciler decided it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from consumer import money
from consumer.events import (
    FlexNotification,
    OrderStatus,
    OrderStatusChanged,
    StatusSource,
    derive_id,
)
from consumer.processing import statuses
from consumer.store import Order
from consumer.webhooks.notification import FlexWebhook, RefundData, refund_data

REFUNDED_EVENT = "order.refunded"

STATUS_BY_EVENT: dict[str, OrderStatus] = {
    "order.completed": OrderStatus.APPROVED,
    "order.expired": OrderStatus.EXPIRED,
    "order.cancelled": OrderStatus.CANCELLED,
    REFUNDED_EVENT: OrderStatus.REFUNDED,
    "order.capturerequired": OrderStatus.CAPTURE_REQUIRED,
    "payment.chargeback.received": OrderStatus.CHARGEBACK,
}

Build = Callable[[Order], OrderStatusChanged | None]
Refund = tuple[OrderStatus, dict[str, int]]


def has_status(notification: FlexWebhook) -> bool:
    """Whether the notification names an order and an event that maps to a status."""
    return notification.event in STATUS_BY_EVENT and notification.order_id is not None


def receipt_key(notification: FlexWebhook) -> str:
    """The event name a notification is received once under, together with its OrderId.

    Every refund of an order is an ``order.refunded``: when Flex names the refund's
    transaction, it joins the key, so a second refund is not taken for a resend of the first.
    """
    data = refund_data(notification) if notification.event == REFUNDED_EVENT else None
    if data is not None and data.transaction_id:
        return f"{REFUNDED_EVENT}/{data.transaction_id}"
    return notification.event


def builder(notification: FlexWebhook, source: StatusSource, now: datetime) -> Build:
    """The store's ``build`` callback: the status event for the order the notification names."""
    status = STATUS_BY_EVENT[notification.event]
    # Flex gives a webhook no id of its own; this one is stable across resends.
    cause = str(derive_id("flex-webhook", notification.order_id or "", receipt_key(notification)))

    def build(order: Order) -> OrderStatusChanged | None:
        if notification.event != REFUNDED_EVENT:
            return statuses.for_order(order, status, source, cause, now)
        decided = refund_status(order, refund_data(notification))
        if decided is None:
            return None
        return statuses.for_order(order, decided[0], source, cause, now, **decided[1])

    return build


def refund_status(order: Order, data: RefundData | None) -> Refund | None:
    """What an ``order.refunded`` means for ``order``: None when our own refunds explain it.

    ``order.refunded_minor`` counts our refund commands, settled or in flight; their results
    are published by the command handler. A refund they do not explain was made elsewhere
    (Flex's portal) and is published here.
    """
    total = _total_refunded(order, data)
    if total is None:
        if order.refunded_minor > 0:
            return None
        if data is not None and data.is_partial_refund:
            return OrderStatus.PARTIALLY_REFUNDED, {}
        return OrderStatus.REFUNDED, {"refunded_minor": order.amount_minor, "remaining_minor": 0}
    if total <= order.refunded_minor:
        return None
    refunded = min(total, order.amount_minor)
    remaining = order.amount_minor - refunded
    status = OrderStatus.PARTIALLY_REFUNDED if remaining else OrderStatus.REFUNDED
    return status, {"refunded_minor": refunded, "remaining_minor": remaining}


def _total_refunded(order: Order, data: RefundData | None) -> int | None:
    if data is None or data.total_refunded is None:
        return None
    if data.currency and data.currency.upper() != order.currency:
        return None
    try:
        return money.to_minor(data.total_refunded, order.currency)
    except ValueError:
        return None


def raw_key(notification: FlexWebhook) -> str:
    """The key of a raw notification: Flex's order id, else the merchant's, else the event."""
    return notification.order_id or notification.external_order_id or notification.event


def raw_event(
    notification: FlexWebhook, transaction_id: str | None, now: datetime
) -> FlexNotification:
    """A notification with no status, for the raw Flex-events topic."""
    return FlexNotification(
        event_id=derive_id("flex-notification", *_identity(notification)),
        flex_event=notification.event,
        flex_order_id=notification.order_id,
        external_order_id=notification.external_order_id,
        transaction_id=transaction_id,
        flex_timestamp=notification.timestamp(),
        is_test_mode=notification.is_test_mode,
        event_data=notification.event_data,
        received_at=now,
    )


def _identity(notification: FlexWebhook) -> tuple[str, ...]:
    # Everything but IsResent: a resend of a notification gets the id of its first delivery.
    data: Any = notification.event_data
    return (
        notification.event,
        notification.order_id or "",
        notification.external_order_id or "",
        notification.time_stamp or "",
        json.dumps(data, sort_keys=True, default=str),
    )
