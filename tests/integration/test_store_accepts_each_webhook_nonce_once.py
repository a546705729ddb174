"""Both store backends accept a webhook nonce once across replicas, and forget or prune it."""

from __future__ import annotations

import asyncio

from consumer.store import Store
from tests.store_fixtures import FakeClock


async def test_a_nonce_is_accepted_once_even_by_two_replicas_at_once(
    stores: tuple[Store, Store],
) -> None:
    a, b = stores
    results = await asyncio.gather(a.remember_nonce("n-1"), b.remember_nonce("n-1"))
    assert sorted(results) == [False, True]
    assert await a.remember_nonce("n-1") is False
    assert await b.remember_nonce("n-2") is True


async def test_a_forgotten_nonce_is_accepted_again(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await a.remember_nonce("n-3") is True
    await a.forget_nonce("n-3")
    assert await b.remember_nonce("n-3") is True


async def test_nonces_older_than_the_retention_are_pruned(
    stores: tuple[Store, Store], clock: FakeClock
) -> None:
    a, _ = stores
    await a.remember_nonce("old")
    clock.now += 601
    await a.remember_nonce("new")
    assert await a.prune_nonces(600) == 1
    assert await a.remember_nonce("old") is True  # forgotten: only the date check guards it now
    assert await a.remember_nonce("new") is False
