"""Each Flex event maps to its status, refunds only when ours do not explain them; ids stay put."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from consumer.events import OrderStatus, OrderStatusChanged, StatusSource
from consumer.store import Order
from consumer.webhooks import mapping
from consumer.webhooks.notification import FlexWebhook, RefundData

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
APPROVED = Order("tx-1", "ord-1", "flex-1", "APPROVED", 5000, "USD", 0, None)


def webhook(event: str, **fields: Any) -> FlexWebhook:
    return FlexWebhook.model_validate({"Event": event, "OrderId": "flex-1"} | fields)


def built(event: str, order: Order = APPROVED, **fields: Any) -> OrderStatusChanged | None:
    return mapping.builder(webhook(event, **fields), StatusSource.WEBHOOK, NOW)(order)


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ("order.completed", OrderStatus.APPROVED),
        ("order.expired", OrderStatus.EXPIRED),
        ("order.cancelled", OrderStatus.CANCELLED),
        ("order.refunded", OrderStatus.REFUNDED),
        ("order.capturerequired", OrderStatus.CAPTURE_REQUIRED),
        ("payment.chargeback.received", OrderStatus.CHARGEBACK),
    ],
)
def test_each_order_event_maps_to_its_status(event: str, status: OrderStatus) -> None:
    made = built(event)
    assert made is not None
    assert (made.status, made.transaction_id, made.source) == (status, "tx-1", "webhook")
    assert made.order_session_key == "flex-1"


@pytest.mark.parametrize(
    "event", ["challenge.presented", "challenge.passed", "payout.created", "order.unknown"]
)
def test_other_events_have_no_status(event: str) -> None:
    assert not mapping.has_status(webhook(event))


def test_an_order_event_without_an_order_id_has_no_status() -> None:
    assert not mapping.has_status(FlexWebhook.model_validate({"Event": "order.completed"}))


def test_the_same_status_has_the_same_event_id_from_a_webhook_or_the_reconciler() -> None:
    notification = webhook("order.completed")
    by_webhook = mapping.builder(notification, StatusSource.WEBHOOK, NOW)(APPROVED)
    by_reconciler = mapping.builder(notification, StatusSource.RECONCILER, NOW)(APPROVED)
    assert by_webhook is not None
    assert by_reconciler is not None
    assert by_webhook.event_id == by_reconciler.event_id
    assert by_webhook.causation_id == by_reconciler.causation_id


def refunded(order_refunded: int, data: dict[str, Any] | None) -> mapping.Refund | None:
    order = Order("tx-1", "ord-1", "flex-1", "APPROVED", 5000, "USD", order_refunded, None)
    return mapping.refund_status(order, None if data is None else RefundData.model_validate(data))


@pytest.mark.parametrize(
    ("ours", "data", "expected"),
    [
        # No EventData: a refund we never asked for is a refund made in Flex's portal.
        (0, None, (OrderStatus.REFUNDED, {"refunded_minor": 5000, "remaining_minor": 0})),
        (2000, None, None),
        (5000, None, None),
        (0, {"IsPartialRefund": True}, (OrderStatus.PARTIALLY_REFUNDED, {})),
        # With the totals: published only when they go beyond our own refunds.
        (0, {"TotalRefunded": 20.0, "Currency": "USD"},
         (OrderStatus.PARTIALLY_REFUNDED, {"refunded_minor": 2000, "remaining_minor": 3000})),
        (0, {"TotalRefunded": 50.0, "Currency": "USD"},
         (OrderStatus.REFUNDED, {"refunded_minor": 5000, "remaining_minor": 0})),
        (2000, {"TotalRefunded": 20.0, "Currency": "USD"}, None),
        (2000, {"TotalRefunded": 50.0}, (OrderStatus.REFUNDED,
                                         {"refunded_minor": 5000, "remaining_minor": 0})),
        # Totals in another currency or finer than cents are not trusted: as without them.
        (2000, {"TotalRefunded": 50.0, "Currency": "EUR"}, None),
        (2000, {"TotalRefunded": "50.001"}, None),
    ],
)  # fmt: skip
def test_a_refund_is_published_only_when_our_refunds_do_not_explain_it(
    ours: int, data: dict[str, Any] | None, expected: mapping.Refund | None
) -> None:
    assert refunded(ours, data) == expected


def test_refunds_by_id_are_received_once_each_and_resends_of_one_are_one() -> None:
    first = webhook("order.refunded", EventData={"TransactionId": "r-1", "Amount": 10.0})
    second = webhook("order.refunded", EventData={"TransactionId": "r-2", "Amount": 10.0})
    first_resent = webhook("order.refunded", EventData={"TransactionId": "r-1"}, IsResent=True)
    keys = [mapping.receipt_key(n) for n in (first, second, first_resent)]
    assert keys == ["order.refunded/r-1", "order.refunded/r-2", "order.refunded/r-1"]
    assert mapping.receipt_key(webhook("order.refunded")) == "order.refunded"
    assert mapping.receipt_key(webhook("order.completed")) == "order.completed"


def test_a_raw_notification_keeps_its_id_when_resent() -> None:
    fields = {"TimeStamp": "2026-11-26T11:00:00Z", "EventData": {"PayoutId": "p-1"}}
    first = mapping.raw_event(webhook("payout.created", **fields), None, NOW)
    resent = mapping.raw_event(webhook("payout.created", IsResent=True, **fields), None, NOW)
    other = mapping.raw_event(webhook("payout.updated", **fields), None, NOW)
    assert first.event_id == resent.event_id != other.event_id
    assert first.flex_timestamp is not None
    assert mapping.raw_key(webhook("payout.created")) == "flex-1"
    assert mapping.raw_key(FlexWebhook.model_validate({"Event": "payout.created"})) == (
        "payout.created"
    )


def test_refund_amounts_are_read_as_decimals() -> None:
    data = RefundData.model_validate({"Amount": 49.99, "TotalRefunded": "49.99"})
    assert data.amount == data.total_refunded == Decimal("49.99")
