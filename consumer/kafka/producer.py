"""An asyncio face for librdkafka's producer: ``await send(...)`` returns once the broker has it.

Threads. librdkafka's own threads talk to the brokers. One thread of ours calls ``poll()`` in a
loop; delivery reports and client errors run on it. ``produce()`` only enqueues and is
thread-safe, so ``send`` calls it on the event loop. A delivery report never touches its future
directly (asyncio futures are not thread-safe): the reports one ``poll()`` served are handed to
their futures' loop together, with one ``call_soon_threadsafe`` (one per report cost a wake-up
of the loop per record).

Guarantees. ``enable.idempotence`` and ``acks=all`` are always on: retries cannot duplicate or
reorder records of a partition. Records are enqueued in the order ``send`` was called. A full
local queue (``BufferError``) makes ``send`` wait and try again, in that order; a record is
never dropped. A delivery error raises ``KafkaUnavailable``; a fatal client
error (the idempotent producer lost its sequence) raises ``KafkaFatal`` from every later
``send``: the process must restart with a new producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from consumer.errors import ConfigurationError, KafkaFatal, KafkaUnavailable
from consumer.kafka.logging import LIBRDKAFKA
from consumer.kafka.translate import from_error, from_exception

log = logging.getLogger(__name__)

ConfigValue = str | int | float | bool
DeliveryCallback = Callable[[KafkaError | None, Message], None]

# Overridable: latency/batching trade-offs. linger.ms 5 batches bursts without adding latency
# a person would notice; message.timeout.ms bounds how long a send waits for a dead cluster.
DEFAULTS: dict[str, ConfigValue] = {"linger.ms": 5, "message.timeout.ms": 120_000}
# Not overridable: at-least-once without duplicates or reordering depends on them.
REQUIRED: dict[str, ConfigValue] = {"enable.idempotence": True, "acks": "all"}


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where the broker stored a record."""

    partition: int
    offset: int


class Sender(Protocol):
    """What code that publishes needs of ``AsyncProducer``: the seam its unit tests fake."""

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Delivered: ...


class ProducerClient(Protocol):
    """The part of ``confluent_kafka.Producer`` we use; the seam unit tests fake."""

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        on_delivery: DeliveryCallback | None = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None: ...
    def poll(self, timeout: float = -1) -> int: ...
    def purge(
        self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True
    ) -> None: ...
    def __len__(self) -> int: ...


ClientFactory = Callable[[dict[str, Any]], ProducerClient]


class AsyncProducer:
    """Idempotent producer whose ``send`` is awaitable; owns one delivery-report thread."""

    def __init__(
        self,
        config: Mapping[str, ConfigValue],
        *,
        client_factory: ClientFactory = Producer,
        poll_timeout: float = 0.1,
        queue_full_backoff: float = 0.01,
    ) -> None:
        self._fatal: KafkaFatal | None = None
        self._closed = False
        self._poll_timeout = poll_timeout
        self._queue_full_backoff = queue_full_backoff
        self.errors: Counter[str] = Counter()
        """Client errors by name (error_cb), for metrics and tests."""
        self.queue_full_waits = 0
        self._queue_full = asyncio.Lock()
        self._reported: list[tuple[asyncio.Future[Delivered], Delivered | Exception]] = []
        full = (
            DEFAULTS | dict(config) | REQUIRED | {"error_cb": self._on_error, "logger": LIBRDKAFKA}
        )
        try:
            self._client = client_factory(full)
        except KafkaException as exc:
            raise ConfigurationError(f"invalid producer configuration: {exc}") from None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="kafka-producer-poll", daemon=True)
        self._thread.start()

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Delivered:
        """Produce one record and wait for the broker's acknowledgement."""
        future: asyncio.Future[Delivered] = asyncio.get_running_loop().create_future()
        callback = partial(self._on_delivery, future)
        await self._enqueue(topic, value, key, list(headers) if headers else None, callback)
        return await future

    async def flush(self, within: float) -> None:
        """Wait up to ``within`` seconds for every record sent so far; else KafkaUnavailable."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (waiting := len(self._client)) > 0:
            if loop.time() >= deadline:
                raise KafkaUnavailable(f"{waiting} records not delivered within {within}s")
            await asyncio.sleep(0.005)

    async def close(self, within: float = 10.0) -> None:
        """Flush for up to ``within`` seconds, fail what is left, stop the poll thread."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.flush(within)
        except KafkaUnavailable as exc:
            log.warning("closing the producer: %s; failing them", exc)
        # Purged records get a delivery report (_PURGE_QUEUE), so no send() waits forever.
        await asyncio.to_thread(self._client.purge, True, True, True)
        self._stopping.set()
        await asyncio.to_thread(self._thread.join)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _enqueue(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None,
        headers: list[tuple[str, str | bytes | None]] | None,
        callback: DeliveryCallback,
    ) -> None:
        produce = partial(
            self._client.produce, topic, value=value, key=key, headers=headers, on_delivery=callback
        )
        # Once a send waits for queue space, later ones queue behind it (asyncio.Lock is FIFO),
        # so records are enqueued in the order send() was called, full queue or not.
        if not self._queue_full.locked() and self._try(produce, topic):
            return
        async with self._queue_full:
            while True:  # librdkafka signals no free space; polling is the only way to learn it
                await asyncio.sleep(self._queue_full_backoff)
                if self._try(produce, topic):
                    return

    def _try(self, produce: Callable[[], None], topic: str) -> bool:
        self._raise_if_unusable()
        try:
            produce()
        except BufferError:
            # The local queue is full; the poll thread frees it as delivery reports arrive.
            self.queue_full_waits += 1
            return False
        except KafkaException as exc:
            raise from_exception(exc, f"produce to {topic}") from None
        return True

    def _raise_if_unusable(self) -> None:
        if self._fatal is not None:
            raise self._fatal
        if self._closed:
            raise KafkaUnavailable("the producer is closed")

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self._poll(self._poll_timeout)
        self._poll(0)  # reports of the final purge

    def _poll(self, timeout: float) -> None:
        try:
            self._client.poll(timeout)
        except Exception:  # this thread must outlive a bad callback
            log.exception("serving producer delivery reports failed")
        reported, self._reported = self._reported, []
        by_loop: dict[asyncio.AbstractEventLoop, list[_Report]] = {}
        for report in reported:
            by_loop.setdefault(report[0].get_loop(), []).append(report)
        for loop, reports in by_loop.items():
            # A closed loop raises RuntimeError: nobody can be waiting for these records any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, reports)

    def _on_delivery(
        self, future: asyncio.Future[Delivered], error: KafkaError | None, message: Message
    ) -> None:
        # Runs on the poll thread, inside poll(): compute the outcome, let _poll hand it over.
        outcome: Delivered | Exception
        if error is not None:
            outcome = from_error(error, f"delivery to {message.topic()}")
        else:
            outcome = Delivered(message.partition() or 0, message.offset() or 0)
        self._reported.append((future, outcome))

    def _on_error(self, error: KafkaError) -> None:
        self.errors[error.name()] += 1
        if error.fatal():
            self._fatal = KafkaFatal(f"producer: {error.name()}: {error.str()}")
            log.error("fatal producer error, every later send fails: %s", error.str())
        else:
            log.warning("producer client error: %s: %s", error.name(), error.str())


_Report = tuple[asyncio.Future[Delivered], Delivered | Exception]


def _settle(reports: list[_Report]) -> None:
    for future, outcome in reports:
        if future.done():
            continue  # the sender was cancelled; the record was still produced
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
