"""AsyncConsumer polls the real broker on one thread of its own and returns our Record, tracked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import Record, TopicPartition
from tests.kafka_support import consumer_config, new_topic, poll_until, produce


async def test_poll_returns_tracked_records_of_our_type(kafka_bootstrap: str, unique: str) -> None:
    topic = new_topic(kafka_bootstrap, f"records-{unique}")
    produce(kafka_bootstrap, topic, [b"first", b"second"])
    tracker = OffsetTracker()
    tp = TopicPartition(topic, 0)
    config = consumer_config(kafka_bootstrap, f"records-{unique}")
    async with AsyncConsumer(config, [topic], tracker) as consumer:
        records = await poll_until(consumer, lambda got: len(got) >= 2)
        assert consumer.assignment() == {tp}
        assert consumer.last_poll_monotonic is not None
        assert tracker.outstanding(tp) == 2
        for record in records:
            tracker.done(record.tp, record.offset)

    assert all(isinstance(record, Record) for record in records)
    assert [(r.topic, r.partition, r.offset, r.value) for r in records] == [
        (topic, 0, 0, b"first"),
        (topic, 0, 1, b"second"),
    ]
    assert all(record.timestamp_ms is not None and record.timestamp_ms > 0 for record in records)


Callback = Callable[[Consumer, list[KafkaTopicPartition]], None]


class ThreadRecordingClient(Consumer):
    """The real client, noting which thread makes each call into it (callbacks included)."""

    threads: set[int]

    def __init__(self, config: dict[str, Any]) -> None:
        for name in ("error_cb", "on_commit"):
            config[name] = self._noting(config[name])
        super().__init__(config)
        self.threads = set()

    def _noting(self, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.add(threading.get_ident())
            return function(*args, **kwargs)

        return call

    def subscribe(
        self,
        topics: list[str],
        on_assign: Callback | None = None,
        on_revoke: Callback | None = None,
        on_lost: Callback | None = None,
    ) -> None:
        self.threads.add(threading.get_ident())
        noted = [self._noting(callback) for callback in (on_assign, on_revoke, on_lost)]
        super().subscribe(topics, *noted)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> Any:
        self.threads.add(threading.get_ident())
        return super().consume(num_messages, timeout)

    def close(self) -> None:
        self.threads.add(threading.get_ident())
        super().close()


async def test_every_librdkafka_call_runs_on_one_thread_that_is_not_the_event_loop(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"thread-{unique}")
    produce(kafka_bootstrap, topic, [b"x"])
    clients: list[ThreadRecordingClient] = []

    def factory(config: dict[str, Any]) -> ThreadRecordingClient:
        clients.append(ThreadRecordingClient(config))
        return clients[-1]

    config = consumer_config(kafka_bootstrap, f"thread-{unique}")
    tracker = OffsetTracker()
    consumer = AsyncConsumer(config, [topic], tracker, client_factory=factory)
    async with consumer:
        [record] = await poll_until(consumer, lambda got: len(got) >= 1)
        consumer.pause([record.tp])
        tracker.done(record.tp, record.offset)
        consumer.request_commit()
        await consumer.poll(10, 0.1)
    assert len(clients[0].threads) == 1
    assert threading.get_ident() not in clients[0].threads
