"""The dispatcher keeps per-key order, runs keys in parallel, and drains or abandons partitions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from consumer.dispatch import KeyedDispatcher


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: bytes | None


async def test_same_key_in_order_different_keys_in_parallel() -> None:
    started: list[int] = []
    finished: list[int] = []
    gates = {offset: asyncio.Event() for offset in range(4)}

    async def handle(record: Rec) -> None:
        started.append(record.offset)
        await gates[record.offset].wait()

    dispatcher = KeyedDispatcher(handle, lambda r: finished.append(r.offset))
    for offset, key in enumerate([b"a", b"a", b"b", None]):
        dispatcher.submit(Rec("t", 0, offset, key))
    await asyncio.sleep(0)
    assert sorted(started) == [0, 2, 3]  # offset 1 waits behind offset 0 (same key)
    assert dispatcher.in_flight == 4
    gates[0].set()
    await asyncio.sleep(0.01)
    assert started[-1] == 1
    for gate in gates.values():
        gate.set()
    assert await dispatcher.drain_all(1)
    assert sorted(finished) == [0, 1, 2, 3]
    assert finished.index(0) < finished.index(1)
    assert dispatcher.in_flight == 0


async def test_drain_waits_only_for_the_given_partitions() -> None:
    release = asyncio.Event()

    async def handle(record: Rec) -> None:
        if record.partition == 1:
            await release.wait()

    done: list[Rec] = []
    dispatcher = KeyedDispatcher(handle, done.append)
    dispatcher.submit(Rec("t", 0, 0, b"x"))
    dispatcher.submit(Rec("t", 1, 0, b"y"))
    assert await dispatcher.drain([("t", 0)], within=1)
    assert not await dispatcher.drain([("t", 1)], within=0.05)
    release.set()
    assert await dispatcher.drain([("t", 1)], within=1)
    assert {(r.partition, r.offset) for r in done} == {(0, 0), (1, 0)}


async def test_abandoned_partition_leaves_its_records_unfinished() -> None:
    async def handle(record: Rec) -> None:
        await asyncio.sleep(10)

    done: list[Rec] = []
    dispatcher = KeyedDispatcher(handle, done.append)
    dispatcher.submit(Rec("t", 2, 0, b"k"))
    dispatcher.submit(Rec("t", 2, 1, b"k"))
    await asyncio.sleep(0)
    assert await dispatcher.abandon([("t", 2)]) == 1
    assert dispatcher.in_flight == 0
    assert done == []
    assert await dispatcher.drain_all(0.1)


async def test_a_handler_that_raises_breaks_the_dispatcher_and_finishes_nothing() -> None:
    async def handle(record: Rec) -> None:
        raise RuntimeError("bug")

    done: list[Rec] = []
    dispatcher = KeyedDispatcher(handle, done.append)
    dispatcher.submit(Rec("t", 0, 0, b"k"))
    await asyncio.wait_for(dispatcher.broken.wait(), 1)
    assert done == []
