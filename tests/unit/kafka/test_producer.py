"""AsyncProducer settles each send from its delivery report, waits on a full queue, and
surfaces delivery and fatal errors as our exceptions (librdkafka faked at the client seam)."""

from __future__ import annotations

import asyncio
import queue
from typing import Any

import pytest
from confluent_kafka import KafkaError, Message

from consumer.errors import KafkaFatal, KafkaUnavailable
from consumer.kafka.producer import AsyncProducer, Delivered, DeliveryCallback


class FakeClient:
    """Stands in for confluent_kafka.Producer: reports are served by whoever calls poll()."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.reports: queue.Queue[tuple[DeliveryCallback, Message, KafkaError | None]] = (
            queue.Queue()
        )
        self.refuse_next = 0  # how many produce() calls raise BufferError
        self.delivery_error: KafkaError | None = None
        self.produced: list[tuple[str, bytes | None, bytes | None, Any]] = []

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        on_delivery: DeliveryCallback | None = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None:
        if self.refuse_next:
            self.refuse_next -= 1
            raise BufferError("Local: Queue full")
        assert on_delivery is not None
        self.produced.append((topic, key, value, headers))
        message = Message(topic=topic, partition=3, offset=len(self.produced) - 1)
        self.reports.put((on_delivery, message, self.delivery_error))

    def poll(self, timeout: float = -1) -> int:
        try:
            callback, message, error = self.reports.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            return 0
        callback(error, message)
        return 1

    def purge(self, in_queue: bool = True, in_flight: bool = True, blocking: bool = True) -> None:
        pass

    def __len__(self) -> int:
        return self.reports.qsize()

    def raise_client_error(self, error: KafkaError) -> None:
        self.config["error_cb"](error)


@pytest.fixture
async def fake() -> Any:
    clients: list[FakeClient] = []

    def factory(config: dict[str, Any]) -> FakeClient:
        clients.append(FakeClient(config))
        return clients[-1]

    producer = AsyncProducer({"bootstrap.servers": "unused"}, client_factory=factory)
    yield producer, clients[0]
    await producer.close(within=1)


async def test_send_resolves_with_the_partition_and_offset_of_the_delivery(fake: Any) -> None:
    producer, client = fake
    first = await producer.send("orders", b"v1", key=b"k", headers=[("h", b"1")])
    second = await producer.send("orders", b"v2")
    assert (first, second) == (Delivered(3, 0), Delivered(3, 1))
    assert client.produced[0] == ("orders", b"k", b"v1", [("h", b"1")])


async def test_idempotence_and_acks_all_cannot_be_overridden() -> None:
    seen: list[dict[str, Any]] = []

    def factory(config: dict[str, Any]) -> FakeClient:
        seen.append(config)
        return FakeClient(config)

    producer = AsyncProducer(
        {"enable.idempotence": False, "acks": 1, "linger.ms": 50}, client_factory=factory
    )
    await producer.close(within=1)
    assert seen[0]["enable.idempotence"] is True
    assert seen[0]["acks"] == "all"
    assert seen[0]["linger.ms"] == 50


async def test_a_full_local_queue_makes_send_wait_and_retry_instead_of_dropping(
    fake: Any,
) -> None:
    producer, client = fake
    client.refuse_next = 3
    assert await producer.send("orders", b"v") == Delivered(3, 0)
    assert producer.queue_full_waits == 3
    assert len(client.produced) == 1


async def test_a_delivery_error_raises_kafka_unavailable(fake: Any) -> None:
    producer, client = fake
    client.delivery_error = KafkaError(KafkaError._MSG_TIMED_OUT, "Message timed out")
    with pytest.raises(KafkaUnavailable, match="_MSG_TIMED_OUT"):
        await producer.send("orders", b"v")


async def test_a_fatal_client_error_fails_every_later_send(fake: Any) -> None:
    producer, client = fake
    fatal = KafkaError(KafkaError._FATAL, "producer fenced", fatal=True)
    await asyncio.to_thread(client.raise_client_error, fatal)
    with pytest.raises(KafkaFatal, match="producer fenced"):
        await producer.send("orders", b"v")
    assert producer.errors["_FATAL"] == 1
    assert client.produced == []


async def test_a_record_failed_by_an_earlier_fatal_error_raises_kafka_fatal(fake: Any) -> None:
    producer, client = fake
    client.delivery_error = KafkaError(KafkaError._FATAL, "fatal error earlier")
    with pytest.raises(KafkaFatal):
        await producer.send("orders", b"v")


async def test_a_transient_client_error_is_counted_and_sends_go_on(fake: Any) -> None:
    producer, client = fake
    await asyncio.to_thread(
        client.raise_client_error, KafkaError(KafkaError._ALL_BROKERS_DOWN, "down")
    )
    assert producer.errors["_ALL_BROKERS_DOWN"] == 1
    assert await producer.send("orders", b"v") == Delivered(3, 0)


async def test_send_after_close_raises_kafka_unavailable(fake: Any) -> None:
    producer, _ = fake
    await producer.close(within=1)
    with pytest.raises(KafkaUnavailable, match="closed"):
        await producer.send("orders", b"v")


async def test_sends_waiting_for_queue_space_are_enqueued_in_the_order_they_were_made(
    fake: Any,
) -> None:
    producer, client = fake
    client.refuse_next = 4
    await asyncio.gather(*(producer.send("orders", b"%d" % n) for n in range(6)))
    assert [value for _, _, value, _ in client.produced] == [b"%d" % n for n in range(6)]
