"""Both store backends apply statuses by the lifecycle, once per webhook, and cap refunds."""

from __future__ import annotations

import asyncio

from consumer.events import OrderStatus, OrderStatusChanged, StatusSource, derive_id
from consumer.store import Order, Receipt, Store


def status(tx: str, value: OrderStatus, cause: str = "") -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=derive_id(tx, "status", value, cause), causation_id=tx, transaction_id=tx,
        merchant_order_id=f"ord-{tx}", order_session_key=f"flex-{tx}", status=value,
        amount_minor=5000, currency="USD", source=StatusSource.WEBHOOK,
        occurred_at="2026-11-26T10:00:00Z",  # type: ignore[arg-type]
    )  # fmt: skip


async def submit(store: Store, tx: str) -> None:
    await store.begin_evaluation(tx, f"ord-{tx}", 5000, "USD")
    await store.finish(
        "evaluate", tx, status(tx, OrderStatus.SUBMITTED), flex_order_id=f"flex-{tx}"
    )


async def test_webhook_applies_once_and_a_resend_returns_the_same_event(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    await submit(a, "tx-1")

    def completed(order: Order) -> OrderStatusChanged:
        return status(order.transaction_id, OrderStatus.APPROVED)

    first = await a.apply_webhook("flex-tx-1", None, "order.completed", completed)
    resent = await b.apply_webhook("flex-tx-1", None, "order.completed", completed)
    assert first.receipt is Receipt.APPLIED
    assert resent.receipt is Receipt.DUPLICATE
    assert resent.event == first.event is not None
    order = await a.get_order("tx-1")
    assert order is not None
    assert order.status == OrderStatus.APPROVED


async def test_terminal_status_never_moves_backwards(stores: tuple[Store, Store]) -> None:
    a, _ = stores
    await submit(a, "tx-2")
    cancelled = await a.apply_webhook(
        "flex-tx-2", None, "order.cancelled", lambda o: status("tx-2", OrderStatus.CANCELLED)
    )
    late = await a.apply_webhook(
        "flex-tx-2", None, "order.completed", lambda o: status("tx-2", OrderStatus.APPROVED)
    )
    assert cancelled.receipt is Receipt.APPLIED
    assert late.receipt is Receipt.REGRESSION
    assert late.event is None
    order = await a.get_order("tx-2")
    assert order is not None
    assert order.status == OrderStatus.CANCELLED


async def test_webhook_for_unknown_or_unanswered_orders_is_not_applied(
    stores: tuple[Store, Store],
) -> None:
    a, _ = stores
    unknown = await a.apply_webhook("flex-nobody", "ord-nobody", "order.completed", lambda o: None)
    assert unknown.receipt is Receipt.UNKNOWN_ORDER
    await a.begin_evaluation("tx-3", "ord-tx-3", 5000, "USD")  # Flex has not answered yet
    early = await a.apply_webhook(
        "flex-tx-3", "ord-tx-3", "order.completed", lambda o: status("tx-3", OrderStatus.APPROVED)
    )
    assert early.receipt is Receipt.NOT_READY
    # Found by the merchant's order id: the webhook's transaction id is ours.
    assert early.order is not None
    assert early.order.transaction_id == "tx-3"


async def test_refunds_never_exceed_the_captured_amount(stores: tuple[Store, Store]) -> None:
    a, b = stores
    await submit(a, "tx-4")
    await a.apply(status("tx-4", OrderStatus.APPROVED))
    # Two workers reserve at the same time: together they may not pass the 5000 captured.
    first, second = await asyncio.gather(
        a.reserve_refund("tx-4", "cmd-1", 3000), b.reserve_refund("tx-4", "cmd-2", 3000)
    )
    assert sorted([first.refused, second.refused], key=str) == ["EXCEEDS_REMAINING", None]
    winner = "cmd-1" if first.refused is None else "cmd-2"
    await a.claim("command", winner)
    await a.settle_refund(winner, True, status("tx-4", OrderStatus.PARTIALLY_REFUNDED, winner))
    rest = await a.reserve_refund("tx-4", "cmd-3", None)
    assert (rest.refused, rest.amount_minor) == (None, 2000)
    again = await a.reserve_refund("tx-4", "cmd-3", None)  # a replayed command: same reservation
    assert (again.refused, again.amount_minor, again.settled) == (None, 2000, None)
    over = await a.reserve_refund("tx-4", "cmd-4", 1)
    assert over.refused == "EXCEEDS_REMAINING"


async def test_refund_of_an_order_that_was_not_rescued_is_refused(
    stores: tuple[Store, Store],
) -> None:
    a, _ = stores
    await submit(a, "tx-5")
    refused = await a.reserve_refund("tx-5", "cmd-1", None)
    assert refused.refused == "NOT_REFUNDABLE"
    assert (await a.reserve_refund("tx-none", "cmd-2", None)).refused == "UNKNOWN_TRANSACTION"
