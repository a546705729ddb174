"""Build order-status events with deterministic ids.

The same status of the same transaction always carries the same event id, whoever decides it
(worker, webhook, reconciler), so downstream systems dedupe on ``event_id`` alone. A command's
result carries an id derived from the command id: one result per command, however often it is
delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consumer.events import (
    OrderStatus,
    OrderStatusChanged,
    PaymentDeclined,
    StatusSource,
    derive_id,
)
from consumer.store import Order


def for_decline(
    declined: PaymentDeclined, status: OrderStatus, now: datetime, **fields: Any
) -> OrderStatusChanged:
    """The worker's verdict on a declined payment."""
    return OrderStatusChanged(
        event_id=derive_id(declined.transaction_id, "status", status),
        causation_id=declined.transaction_id,
        transaction_id=declined.transaction_id,
        merchant_order_id=declined.merchant_order_id,
        status=status,
        amount_minor=declined.amount_minor,
        currency=declined.currency,
        source=StatusSource.WORKER,
        occurred_at=now,
        **fields,
    )


def for_order(
    order: Order, status: OrderStatus, source: StatusSource, cause: str, now: datetime,
    **fields: Any,
) -> OrderStatusChanged:  # fmt: skip
    """A new status of an order we know, decided by a webhook or the reconciler."""
    return OrderStatusChanged(
        event_id=derive_id(order.transaction_id, "status", status),
        causation_id=cause,
        transaction_id=order.transaction_id,
        merchant_order_id=order.merchant_order_id,
        order_session_key=order.flex_order_id,
        status=status,
        amount_minor=order.amount_minor,
        currency=order.currency,
        source=source,
        occurred_at=now,
        **fields,
    )


def for_command(
    command_id: str, transaction_id: str, order: Order | None, status: OrderStatus,
    now: datetime, **fields: Any,
) -> OrderStatusChanged:  # fmt: skip
    """The result of a refund or cancel command (``order`` is None for an unknown transaction)."""
    return OrderStatusChanged(
        event_id=derive_id(command_id, "command-result"),
        causation_id=command_id,
        transaction_id=transaction_id,
        merchant_order_id=order.merchant_order_id if order else None,
        order_session_key=order.flex_order_id if order else None,
        status=status,
        amount_minor=order.amount_minor if order else None,
        currency=order.currency if order else None,
        source=StatusSource.COMMAND,
        occurred_at=now,
        **fields,
    )
