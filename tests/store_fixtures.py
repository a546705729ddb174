"""Stores on both backends for tests: a fresh SQLite file or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from consumer.store import Store, open_database


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def database_url(backend: str, tmp_path: Path, postgres_dsn: str | None) -> Iterator[str]:
    """A store URL on an empty database of ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'flexmit.db'}"
        return
    assert postgres_dsn is not None
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_dsn.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def make_store(url: str, owner: str, clock: FakeClock, lease: float = 60.0) -> Store:
    """A store for ``owner`` on ``url`` that reads time from ``clock``."""
    return Store(open_database(url), owner, lease=lease, owner_timeout=5.0, clock=clock)
