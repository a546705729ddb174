"""Fixtures of the receiver's unit tests: a real SQLite store, a recording publisher, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from consumer.store import Store
from tests.store_fixtures import FakeClock, make_store
from tests.unit.webhooks.support import NOW, Published, Receiver, app_client


@pytest.fixture
def clock() -> FakeClock:
    """The store's clock."""
    return FakeClock(NOW.timestamp())


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    """A real store on a fresh SQLite file."""
    opened = make_store(f"sqlite:///{tmp_path / 'store.db'}", "webhooks-a", clock)
    yield opened
    opened.close()


@pytest.fixture
def published() -> Published:
    """What the receiver published."""
    return Published()


@pytest.fixture
async def receiver(store: Store, published: Published) -> AsyncIterator[Receiver]:
    """The receiver app over the real store, one subscriber key."""
    made = app_client(store, published)
    yield made
    await made.http.aclose()
