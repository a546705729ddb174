"""Run small synchronous units of work against SQLite or PostgreSQL from asyncio, batched.

Each unit is a plain function of a ``Tx`` (a cursor with our parameter style). Units queue up,
and a database thread runs whatever has queued in ONE transaction, each unit inside a
savepoint: a failing unit is rolled back alone, the others commit together. Group commit is
what keeps the store off the worker's hot path; one commit per event would cost more than the
rest of the handling. The answers go back the same way: one wake-up of the event loop per
batch, not one per unit (``concurrent.futures`` + ``wrap_future`` cost a lock, a condition
and a cross-thread call per unit: a sixth of the CPU the declined handler and its store spend
per event).

sqlite3 and psycopg errors stop here: a database that cannot be reached becomes
``StoreUnavailable`` (retry later); a unit that raises gets its own exception back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from consumer.errors import StoreUnavailable

T = TypeVar("T")
Row = tuple[Any, ...]
Params = Mapping[str, Any]

log = logging.getLogger(__name__)

_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class DbApiCursor(Protocol):
    """The DB-API cursor methods both drivers offer."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...
    def fetchall(self) -> Sequence[Any]: ...
    def fetchone(self) -> Any: ...


class DbApiConnection(Protocol):
    """The DB-API connection methods both drivers offer."""

    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the two SQL engines, kept to the minimum."""

    name: str
    begin: str
    skip_locked: str  # appended to a row-claiming SELECT
    for_update: str  # appended to a SELECT whose row is about to be updated
    is_unavailable: Callable[[BaseException], bool]  # busy, locked, disconnected: retry later
    _cache: dict[str, str] = field(default_factory=dict, compare=False)

    def sql(self, query: str) -> str:
        """Our ``:name`` placeholders in the driver's style."""
        if self.name == "sqlite":
            return query
        converted = self._cache.get(query)
        if converted is None:
            converted = _NAMED.sub(r"%(\1)s", query.replace("%", "%%"))
            self._cache[query] = converted
        return converted


class Tx:
    """The cursor a unit of work receives: one statement at a time, our placeholder style."""

    def __init__(self, cursor: DbApiCursor, dialect: Dialect) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def execute(self, query: str, params: Params | None = None) -> None:
        """Run a statement whose rows (if any) are not needed."""
        self._cursor.execute(self.dialect.sql(query), params or {})

    def all(self, query: str, params: Params | None = None) -> list[Row]:
        """Run a query and return every row."""
        self._cursor.execute(self.dialect.sql(query), params or {})
        return [tuple(row) for row in self._cursor.fetchall()]

    def one(self, query: str, params: Params | None = None) -> Row | None:
        """Run a query and return its first row, or None."""
        self._cursor.execute(self.dialect.sql(query), params or {})
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)


Unit = Callable[[Tx], T]


@dataclass
class _Job:
    unit: Unit[Any]
    done: asyncio.Future[Any] | Future[Any]  # asyncio for ``run``, concurrent for ``run_sync``


class Database:
    """Batched execution of units of work on ``threads`` dedicated connections."""

    def __init__(
        self,
        connect: Callable[[], DbApiConnection],
        dialect: Dialect,
        threads: int = 1,
        max_batch: int = 256,
    ) -> None:
        self.dialect = dialect
        self._connect = connect
        self._max_batch = max_batch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"store-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    async def run(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a transaction (shared with other queued units) and return its result."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put(_Job(unit, done))
        return await done

    def run_sync(self, unit: Unit[T]) -> T:
        """Blocking variant for start-up code and tests outside an event loop."""
        done: Future[T] = Future()
        self._jobs.put(_Job(unit, done))
        return done.result()

    def close(self) -> None:
        """Finish queued work, then stop the threads and close their connections."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _serve(self) -> None:
        connection: DbApiConnection | None = None
        while True:
            first = self._jobs.get()
            if first is None:
                break
            batch = self._take_batch(first)
            try:
                connection = connection or self._connect()
                self._run_batch(connection, batch)
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                _discard(connection)
                connection = None
                if self.dialect.is_unavailable(exc):
                    exc = StoreUnavailable(f"{self.dialect.name}: {exc}")
                _fail(batch, exc)
        _discard(connection)

    def _take_batch(self, first: _Job) -> list[_Job]:
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)  # keep the stop signal for the loop
                break
            batch.append(job)
        return batch

    def _run_batch(self, connection: DbApiConnection, batch: list[_Job]) -> None:
        tx = Tx(connection.cursor(), self.dialect)
        tx.execute(self.dialect.begin)
        results = [self._run_unit(tx, job) for job in batch]
        tx.execute("COMMIT")
        _answer(results)

    def _run_unit(self, tx: Tx, job: _Job) -> tuple[_Job, Any, Exception | None]:
        # A savepoint per unit: one unit's failure must not undo the others in the batch.
        tx.execute("SAVEPOINT unit")
        try:
            result: tuple[_Job, Any, Exception | None] = (job, job.unit(tx), None)
        except Exception as exc:
            if self.dialect.is_unavailable(exc):
                raise
            tx.execute("ROLLBACK TO SAVEPOINT unit")
            if isinstance(exc, StopIteration):
                # An asyncio future refuses StopIteration (TypeError), which would leave the
                # callers after this one in the batch unanswered.
                exc = RuntimeError(f"a store unit raised {exc!r}")
            result = (job, None, exc)
        tx.execute("RELEASE SAVEPOINT unit")
        return result


Answer = tuple[_Job, Any, BaseException | None]


def _answer(results: Sequence[Answer]) -> None:
    """Settle every job: blocking callers at once, each event loop with one call per batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Answer]] = {}
    for answer in results:
        done = answer[0].done
        if isinstance(done, asyncio.Future):
            by_loop.setdefault(done.get_loop(), []).append(answer)
        else:
            _settle([answer])
    for loop, answers in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, answers)


def _settle(answers: list[Answer]) -> None:
    for job, value, error in answers:
        if job.done.done():
            continue  # the caller was cancelled; its unit ran all the same
        if error is not None:
            job.done.set_exception(error)
        else:
            job.done.set_result(value)


def _fail(batch: list[_Job], error: BaseException) -> None:
    _answer([(job, None, error) for job in batch])


def _discard(connection: DbApiConnection | None) -> None:
    if connection is None:
        return
    try:
        connection.rollback()
        connection.close()
    except Exception:
        log.debug("closing a broken store connection failed", exc_info=True)
    return
