"""SQLite backend: the embedded default, one writer connection in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from consumer.store.database import Database, DbApiConnection, Dialect

_TRANSIENT = ("locked", "busy", "disk i/o", "unable to open")


def _is_unavailable(exc: BaseException) -> bool:
    # OperationalError also covers SQL mistakes ("no such column"); only these are transient.
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in str(exc).lower() for word in _TRANSIENT
    )


DIALECT = Dialect(
    name="sqlite",
    begin="BEGIN IMMEDIATE",  # take the write lock up front: no upgrade deadlocks between workers
    skip_locked="",
    for_update="",
    is_unavailable=_is_unavailable,
)


def open_database(path: Path) -> Database:
    """A database on ``path`` (created with its folder when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def connect() -> DbApiConnection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash; only an OS crash may lose the last commits.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=10000")
        return connection

    # One thread: SQLite has one writer at a time anyway; batching does the rest.
    return Database(connect, DIALECT, threads=1)
