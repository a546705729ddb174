"""Virtual time runs time_scale times faster than the wall clock and can jump forward."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from consumer.sandbox.clock import VirtualClock, iso
from tests import flex_requests
from tests.unit.sandbox.conftest import START, FakeWall, Harness, MakeSandbox


def test_virtual_time_is_scaled_wall_time_plus_jumps() -> None:
    wall = FakeWall()
    clock = VirtualClock(time_scale=86_400, wall=wall)
    assert clock.now() == START
    wall.now += 1.5
    assert clock.now() == datetime(2026, 1, 6, 22, 0, tzinfo=UTC)
    clock.advance(3600)
    clock.advance(-10_000)  # never backwards
    assert clock.now() == datetime(2026, 1, 6, 23, 0, tzinfo=UTC)
    assert clock.wall() == START.timestamp() + 1.5


def test_real_delay_until_a_virtual_instant_shrinks_with_the_scale() -> None:
    clock = VirtualClock(time_scale=1_814_400, wall=FakeWall())  # 21 days per second
    due = START.timestamp() + 21 * 86_400
    assert clock.real_delay(due) == 1.0
    assert clock.real_delay(START.timestamp() - 5) == 0.0


def test_iso_writes_seven_fraction_digits_and_z() -> None:
    assert iso(START) == "2026-01-05T10:00:00.0000000Z"


async def test_a_21_day_window_passes_in_compressed_real_time(make_sandbox: MakeSandbox) -> None:
    # 1e7 virtual seconds per second: 21 days take about 0.2 s of real time.
    sandbox = await make_sandbox(real_clock=True, time_scale=1e7)
    rescued = (await sandbox.evaluate()).json()["orderId"]
    expired = (await sandbox.evaluate(card=flex_requests.DECLINED_CARD)).json()["orderId"]
    for _ in range(1000):
        events = {(hook["Event"], hook["OrderId"]) for hook in sandbox.webhooks()}
        if len(events) == 2:
            break
        await asyncio.sleep(0.01)
    assert events == {("order.completed", rescued), ("order.expired", expired)}


async def test_expiry_dates_are_read_on_the_clients_clock(sandbox: Harness) -> None:
    await sandbox.advance(days=30)  # virtual time now runs 30 days ahead of the client
    body = flex_requests.evaluate(sandbox.now, card=flex_requests.DECLINED_CARD)
    order_id = (await sandbox.post("/v1/evaluate", body)).json()["orderId"]
    order = (await sandbox.ledger())["orders"][order_id]
    placed, expires = (datetime.fromisoformat(order[k]) for k in ("placedAt", "expiresAt"))
    assert expires - placed == timedelta(days=21)
    assert datetime.fromisoformat(order["expiryDate"]) == START + timedelta(days=21)
    await sandbox.advance(days=21, seconds=1)
    assert [hook["Event"] for hook in await sandbox.settle()] == ["order.expired"]
