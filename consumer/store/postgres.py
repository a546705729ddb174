"""PostgreSQL backend: for many workers on many machines."""

from __future__ import annotations

import psycopg

from consumer.store.database import Database, DbApiConnection, Dialect


def _is_unavailable(exc: BaseException) -> bool:
    # OperationalError: the server went away or refused us; serialization failures retry too.
    return isinstance(exc, psycopg.OperationalError | psycopg.errors.SerializationFailure)


DIALECT = Dialect(
    name="postgresql",
    begin="BEGIN",
    skip_locked="FOR UPDATE SKIP LOCKED",
    for_update=" FOR UPDATE",
    is_unavailable=_is_unavailable,
)


def open_database(dsn: str, threads: int = 4) -> Database:
    """A database at ``dsn`` served by ``threads`` connections, each batching its units."""

    def connect() -> DbApiConnection:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=10)

    return Database(connect, DIALECT, threads=threads)
