"""Fixtures of integration tests: stores on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from consumer.store import Store
from tests.store_fixtures import FakeClock, database_url, make_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend in turn."""
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgresql" else None
    with database_url(request.param, tmp_path, dsn) as value:
        yield value


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock for the stores."""
    return FakeClock()


@pytest.fixture
async def stores(store_url: str, clock: FakeClock) -> AsyncIterator[tuple[Store, Store]]:
    """Two workers' stores on the same database, both heart-beating."""
    first, second = (
        make_store(store_url, "worker-a", clock),
        make_store(store_url, "worker-b", clock),
    )
    await first.heartbeat()
    await second.heartbeat()
    yield first, second
    first.close()
    second.close()
