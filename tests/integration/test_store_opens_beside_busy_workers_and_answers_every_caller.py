"""Opening a current store takes no lock; a cancelled or failing caller costs its batch nothing."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from consumer.store import open_database
from consumer.store.database import Tx, Unit
from tests.store_fixtures import database_url


def select(n: int) -> Unit[int]:
    """A unit answering ``n`` from the database."""

    def unit(tx: Tx) -> int:
        row = tx.one("SELECT :n", {"n": n})
        assert row is not None
        return int(row[0])

    return unit


def test_a_worker_starting_beside_a_busy_one_waits_for_no_table_lock(
    postgres_dsn: str, tmp_path: Path
) -> None:
    with database_url("postgresql", tmp_path, postgres_dsn) as url:
        open_database(url).close()  # the schema is current from here on
        with ThreadPoolExecutor(1) as pool, psycopg.connect(url) as busy:
            # What a busy worker's open batch holds; CREATE INDEX, even IF NOT EXISTS, waits
            # for it, and a batch that waits on a starting worker can deadlock with it.
            busy.execute("LOCK TABLE claims IN ROW EXCLUSIVE MODE")
            pool.submit(open_database, url).result(timeout=10).close()
            busy.rollback()


async def test_a_cancelled_caller_leaves_the_rest_of_its_batch_answered(store_url: str) -> None:
    database = open_database(store_url)
    gate = threading.Event()
    try:
        # Hold each database thread (one for SQLite, four for PostgreSQL), one at a time, so
        # what follows queues up and is taken as one batch when the gate opens.
        holders = []
        for _ in range(4):
            holders.append(asyncio.create_task(database.run(lambda _: gate.wait(10))))
            await asyncio.sleep(0.05)
        cancelled = asyncio.create_task(database.run(select(0)))
        others = [asyncio.create_task(database.run(select(n))) for n in range(1, 6)]
        await asyncio.sleep(0.1)
        cancelled.cancel()
        gate.set()
        assert await asyncio.wait_for(asyncio.gather(*others), 10) == [1, 2, 3, 4, 5]
        assert await asyncio.gather(*holders) == [True] * 4
        assert cancelled.cancelled()
        assert await database.run(select(7)) == 7, "the thread serves on after that batch"
    finally:
        gate.set()
        database.close()


async def test_a_unit_raising_stop_iteration_fails_alone(store_url: str) -> None:
    database = open_database(store_url)

    def exhausted(tx: Tx) -> int:
        return next(iter([]))

    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                database.run(exhausted), database.run(select(1)), return_exceptions=True
            ),
            10,
        )
    finally:
        database.close()
    assert isinstance(results[0], RuntimeError)
    assert results[1] == 1
