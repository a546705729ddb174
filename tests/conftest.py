"""Shared fixtures: a real Kafka broker and a real PostgreSQL cluster, started once per run.

Set FLEXMIT_TEST_KAFKA_BOOTSTRAP or FLEXMIT_TEST_POSTGRES_DSN to use servers of your own.
A component that cannot start fails the tests that need it; nothing is skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from consumer.devstack import kafka as local_kafka
from consumer.devstack import postgres as local_postgres


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real broker: the local one, started for this run."""
    configured = os.environ.get("FLEXMIT_TEST_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    broker = local_kafka.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


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
