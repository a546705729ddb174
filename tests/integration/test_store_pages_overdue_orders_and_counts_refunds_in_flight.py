"""Both store backends page through overdue orders fairly and show refunds in flight to webhooks."""

from __future__ import annotations

from consumer.events import OrderStatus
from consumer.store import Order, Store
from tests.integration.test_store_orders_follow_the_lifecycle import status, submit
from tests.store_fixtures import FakeClock


async def submitted(store: Store, tx: str, expires_at: float) -> None:
    await store.begin_evaluation(tx, f"ord-{tx}", 5000, "USD")
    await store.finish("evaluate", tx, status(tx, OrderStatus.SUBMITTED), f"flex-{tx}", expires_at)


async def test_overdue_orders_come_a_page_at_a_time_in_expiry_order(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, _ = stores
    # Same expiry for tx-1 and tx-2: the transaction id breaks the tie, so no page skips one.
    expiries = {"tx-0": 10.0, "tx-1": 20.0, "tx-2": 20.0, "tx-3": 30.0, "tx-4": 1e12}
    for tx, at in expiries.items():
        await submitted(a, tx, at)
    clock.now = 1000.0
    first = await a.overdue(OrderStatus.SUBMITTED, 0, 2)
    last = first[-1]
    assert last.expires_at is not None
    second = await a.overdue(OrderStatus.SUBMITTED, 0, 2, (last.expires_at, last.transaction_id))
    third = await a.overdue(OrderStatus.SUBMITTED, 0, 2, (30.0, "tx-3"))
    assert [o.transaction_id for o in first + second] == ["tx-0", "tx-1", "tx-2", "tx-3"]
    assert third == []
    assert await a.overdue(OrderStatus.SUBMITTED, 985, 10) == first[:1]  # grace: 15 s


async def test_a_refund_in_flight_counts_as_refunded_for_webhook_decisions(
    stores: tuple[Store, Store],
) -> None:
    a, _ = stores
    await submit(a, "tx-9")
    await a.apply(status("tx-9", OrderStatus.APPROVED))
    await a.reserve_refund("tx-9", "cmd-1", 1500)  # asked Flex, not settled yet
    seen: list[Order] = []

    def build(order: Order) -> None:
        seen.append(order)

    await a.apply_webhook("flex-tx-9", None, "order.refunded", build)
    assert [order.refunded_minor for order in seen] == [1500]
    stored = await a.get_order("tx-9")
    assert stored is not None
    assert stored.refunded_minor == 0  # the store itself counts settled refunds only
