"""Both store backends give each effect to one owner once, and hand back what it recorded."""

from __future__ import annotations

import asyncio

import pytest

from consumer.events import OrderStatus, OrderStatusChanged, StatusSource, derive_id
from consumer.store import ClaimLost, ClaimState, Store
from tests.store_fixtures import FakeClock


def submitted(tx: str) -> OrderStatusChanged:
    return OrderStatusChanged(
        event_id=derive_id(tx, "status", "SUBMITTED"), causation_id=tx, transaction_id=tx,
        merchant_order_id=f"ord-{tx}", order_session_key="flex-1", status=OrderStatus.SUBMITTED,
        amount_minor=4999, currency="USD", source=StatusSource.WORKER,
        occurred_at="2026-11-26T10:00:00Z",  # type: ignore[arg-type]
    )  # fmt: skip


async def test_second_claim_waits_while_the_first_owner_is_alive(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    assert (await a.claim("transmit", "tx-1")).state is ClaimState.NEW
    assert (await b.claim("transmit", "tx-1")).state is ClaimState.BUSY
    # Claiming again by the same owner resumes its own claim (a redelivery to the same worker).
    assert (await a.claim("transmit", "tx-1")).state is ClaimState.RESUMED


async def test_finished_effect_returns_the_recorded_outcome(stores: tuple[Store, Store]) -> None:
    a, b = stores
    evaluation = await a.begin_evaluation("tx-2", "ord-tx-2", 4999, "USD")
    assert evaluation.claim.state is ClaimState.NEW
    assert evaluation.order.status == "PENDING"
    done = await a.finish("evaluate", "tx-2", submitted("tx-2"), flex_order_id="flex-1")
    again = await b.begin_evaluation("tx-2", "ord-tx-2", 4999, "USD")
    assert again.claim.state is ClaimState.DONE
    recorded = submitted("tx-2").model_copy(update={"sequence": 1}).model_dump_json()
    assert again.claim.outcome == done.outcome == recorded
    assert again.order.status == "SUBMITTED"
    assert again.order.flex_order_id == "flex-1"


async def test_claim_of_a_silent_owner_is_taken_over(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, b = stores
    await a.claim("evaluate", "tx-3")
    clock.now += 6  # worker-a stops heart-beating (crashed); its lease (60 s) is still running
    await b.heartbeat()
    resumed = await b.claim("evaluate", "tx-3")
    assert resumed.state is ClaimState.RESUMED
    assert resumed.attempts == 2
    # The crashed owner, were it only frozen, cannot complete over the new owner.
    with pytest.raises(ClaimLost):
        await a.finish("evaluate", "tx-3", None)


async def test_late_finisher_gets_the_winners_outcome(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, b = stores
    await a.begin_evaluation("tx-4", "ord-tx-4", 4999, "USD")
    clock.now += 6
    await b.heartbeat()
    await b.begin_evaluation("tx-4", "ord-tx-4", 4999, "USD")
    won = await b.finish("evaluate", "tx-4", submitted("tx-4"), flex_order_id="flex-1")
    late = await a.finish("evaluate", "tx-4", submitted("tx-4"), flex_order_id="flex-1")
    assert late.state is ClaimState.DONE
    assert late.outcome == won.outcome


async def test_parked_work_is_due_once_at_its_time(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, b = stores
    await a.claim("evaluate", "tx-5")
    await a.park("evaluate", "tx-5", '{"x":1}', due=clock.now + 30, deadline=clock.now + 600)
    assert (await b.claim("evaluate", "tx-5")).state is ClaimState.SCHEDULED
    assert await b.take_due(10) == []
    clock.now += 31
    await asyncio.gather(a.heartbeat(), b.heartbeat())
    first, second = await asyncio.gather(a.take_due(10), b.take_due(10))
    jobs = first + second
    assert [(job.key, job.payload) for job in jobs] == [("tx-5", '{"x":1}')]
    assert jobs[0].deadline == pytest.approx(clock.now - 31 + 600)


async def test_retry_whose_runner_died_is_due_again(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, b = stores
    await a.claim("evaluate", "tx-6")
    await a.park("evaluate", "tx-6", payload="p", due=clock.now, deadline=clock.now + 600)
    assert [job.key for job in await a.take_due(10)] == ["tx-6"]
    clock.now += 6  # worker-a dies while retrying
    await b.heartbeat()
    assert [job.key for job in await b.take_due(10)] == ["tx-6"]


async def test_one_failing_unit_does_not_undo_its_batch(stores: tuple[Store, Store]) -> None:
    a, _ = stores

    async def broken() -> None:
        await a._db.run(lambda tx: tx.execute("INSERT INTO no_such_table VALUES (1)"))

    results = await asyncio.gather(
        a.claim("transmit", "tx-7"), broken(), a.claim("transmit", "tx-8"),
        return_exceptions=True,
    )  # fmt: skip
    assert [type(r).__name__ for r in results][1] in {"OperationalError", "UndefinedTable"}
    assert (await a.claim("transmit", "tx-7")).state is ClaimState.RESUMED
    assert (await a.claim("transmit", "tx-8")).state is ClaimState.RESUMED


async def test_refused_effect_is_reopened_under_a_new_generation(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    first = await a.claim("evaluate", "tx-9")
    assert first.generation == 0
    await a.fail("evaluate", "tx-9", None)
    reopened = await b.claim("evaluate", "tx-9")
    assert reopened.state is ClaimState.RESUMED
    assert reopened.generation == 1
    # A plain takeover (no refusal in between) keeps the generation, so Flex dedupes it.
    assert (await b.claim("evaluate", "tx-9")).generation == 1


async def test_abandoned_work_releases_its_claim_at_once(stores: tuple[Store, Store]) -> None:
    a, b = stores
    await a.claim("transmit", "tx-10")
    started = asyncio.Event()

    async def work() -> None:
        async with a.held("transmit", "tx-10"):
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(work())
    await started.wait()
    assert (await b.claim("transmit", "tx-10")).state is ClaimState.BUSY
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Worker a is alive and its lease had 60 s to run, yet b may take over now.
    assert (await b.claim("transmit", "tx-10")).state is ClaimState.RESUMED


async def test_each_recorded_status_gets_the_next_sequence_number(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    await a.begin_evaluation("tx-11", "ord-tx-11", 4999, "USD")
    first = await a.finish("evaluate", "tx-11", submitted("tx-11"), flex_order_id="flex-11")
    rescued = submitted("tx-11").model_copy(
        update={"status": OrderStatus.APPROVED, "event_id": derive_id("tx-11", "APPROVED")}
    )
    second, again = await b.apply(rescued), await a.apply(rescued)
    sequences = [OrderStatusChanged.model_validate_json(p).sequence
                 for p in (first.outcome, second.event, again.event) if p]  # fmt: skip
    assert sequences == [1, 2, 2], "a duplicate keeps its number"
