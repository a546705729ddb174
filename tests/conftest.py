"""Shared fixtures: a real Kafka broker and a real PostgreSQL cluster, started once per run,
and the Flex sandbox served over HTTP.

Set FLEXMIT_TEST_KAFKA_BOOTSTRAP or FLEXMIT_TEST_POSTGRES_DSN to use servers of your own.
A component that cannot start fails the tests that need it; nothing is skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from consumer.devstack import kafka as local_kafka
from consumer.devstack import postgres as local_postgres
from consumer.sandbox.server import RunningSandbox, start_in_background
from consumer.settings import SandboxSettings


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real broker: the local one, started for this run."""
    with local_kafka.bootstrap(os.environ.get("FLEXMIT_TEST_KAFKA_BOOTSTRAP")) as servers:
        yield servers


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """DSN of a real PostgreSQL database, started for this run."""
    configured = os.environ.get("FLEXMIT_TEST_POSTGRES_DSN")
    if configured:
        yield configured
        return
    cluster = local_postgres.start()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, group and table names of one test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def _shared_flex_sandbox() -> Iterator[RunningSandbox]:
    running = start_in_background(SandboxSettings(port=0))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def flex_sandbox(_shared_flex_sandbox: RunningSandbox) -> RunningSandbox:
    """The Flex sandbox over real HTTP, default settings, emptied before each test.

    One server serves the whole run (reset per test), so use it freely. ``.base_url``,
    ``.app_key``/``.app_secret``/``.mid``/``.site_id``/``.tokenization_key``/``.webhook_key``,
    and ``.admin``: ``ledger()``, ``reset()``, ``faults(**knobs)``, ``clear_faults()``,
    ``advance(days=)``, ``wait_for(condition)``. Its time runs at real speed (use
    ``advance``); for other settings (time_scale, webhook_url...) use flex_sandbox_factory.
    """
    _shared_flex_sandbox.admin.reset()
    return _shared_flex_sandbox


@pytest.fixture
def flex_sandbox_factory() -> Iterator[Callable[..., RunningSandbox]]:
    """``flex_sandbox_factory(**settings)`` serves a sandbox with those SandboxSettings.

    Each one gets a free port and is stopped after the test.
    """
    started: list[RunningSandbox] = []

    def start(**overrides: Any) -> RunningSandbox:
        settings = SandboxSettings.model_validate({"port": 0} | overrides)
        started.append(start_in_background(settings))
        return started[-1]

    yield start
    for running in started:
        running.stop()
