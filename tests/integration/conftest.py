"""Fixtures of integration tests: stores on both backends, stacks, a broker of one test's own."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from consumer.devstack import kafka as local_kafka
from consumer.devstack.kafka import RunningBroker
from consumer.sandbox.server import RunningSandbox
from consumer.store import Store
from tests.store_fixtures import FakeClock, database_url, make_store
from tests.worker_harness import Stack


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


@pytest.fixture
def stack_factory(
    kafka_bootstrap: str,
    flex_sandbox_factory: Callable[..., RunningSandbox],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Stack]]:
    """``stack_factory(backend, **sandbox)``: topics, group, store and sandbox of one test."""
    stacks: list[Stack] = []
    with contextlib.ExitStack() as cleanup:

        def make(backend: str = "sqlite", **sandbox: Any) -> Stack:
            dsn = request.getfixturevalue("postgres_dsn") if backend == "postgresql" else None
            url = cleanup.enter_context(database_url(backend, tmp_path, dsn))
            name = uuid.uuid4().hex[:8]
            stacks.append(Stack(kafka_bootstrap, flex_sandbox_factory(**sandbox), url, name,
                                tmp_path))  # fmt: skip
            return stacks[-1]

        yield make
        for stack in stacks:
            stack.stop_all()


@pytest.fixture
def own_broker() -> Iterator[RunningBroker]:
    """A broker of this test alone: the test takes it down, which others must not feel."""
    broker = local_kafka.start()
    try:
        yield broker
    finally:
        broker.stop()
