"""AsyncConsumer's bookkeeping around librdkafka, with the client faked at its seam: errors
are never dropped, revoked work is drained then committed, lost work never committed."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaError, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.errors import KafkaFatal
from consumer.kafka.consumer import AsyncConsumer, build_config
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.records import TopicPartition

TOPIC = "payments"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)
Callback = Callable[[object, list[KafkaTopicPartition]], None]


def message(partition: int, offset: int) -> Message:
    return Message(topic=TOPIC, partition=partition, offset=offset, value=b"v", timestamp=(1, 5))


def failed(error: KafkaError) -> Message:
    return Message(topic=TOPIC, partition=0, error=error)


class FakeClient:
    """Plays a script inside consume(), on the consumer thread, as librdkafka would."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.script: deque[Callable[[], list[Message]]] = deque()
        self.callbacks: dict[str, Callback | None] = {}
        self.log: list[tuple[str, object]] = []
        self.gate: threading.Event | None = None

    def subscribe(
        self,
        topics: list[str],
        on_assign: Callback | None = None,
        on_revoke: Callback | None = None,
        on_lost: Callback | None = None,
    ) -> None:
        self.callbacks = {"assign": on_assign, "revoke": on_revoke, "lost": on_lost}

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        if self.gate is not None:
            self.gate.wait(5)
        return self.script.popleft()() if self.script else []

    def rebalance(self, kind: str, *partitions: int) -> None:
        callback = self.callbacks[kind]
        assert callback is not None
        callback(self, [KafkaTopicPartition(TOPIC, p) for p in partitions])

    def pause(self, partitions: list[KafkaTopicPartition]) -> None:
        self.log.append(("pause", [p.partition for p in partitions]))

    def resume(self, partitions: list[KafkaTopicPartition]) -> None:
        self.log.append(("resume", [p.partition for p in partitions]))

    def commit(self, *, offsets: list[KafkaTopicPartition], asynchronous: bool = True) -> Any:
        kind = "commit-async" if asynchronous else "commit-sync"
        self.log.append((kind, {p.partition: p.offset for p in offsets}))
        return None if asynchronous else offsets

    def get_watermark_offsets(
        self, partition: KafkaTopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        return 0, 10

    def close(self) -> None:
        self.log.append(("close", None))


class Listener:
    def __init__(self, client: list[FakeClient], tracker: OffsetTracker) -> None:
        self.client, self.tracker = client, tracker
        self.drain: Callable[[], Any] | None = None

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        self.client[0].log.append(("on_assigned", sorted(tp.partition for tp in partitions)))

    async def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        self.client[0].log.append(("on_revoked", sorted(tp.partition for tp in partitions)))
        if self.drain is not None:
            await self.drain()

    async def on_lost(self, partitions: frozenset[TopicPartition]) -> None:
        self.client[0].log.append(("on_lost", sorted(tp.partition for tp in partitions)))


class Harness:
    def __init__(self) -> None:
        self.clients: list[FakeClient] = []
        self.tracker = OffsetTracker()
        self.listener = Listener(self.clients, self.tracker)
        self.consumer = AsyncConsumer(
            {"group.id": "g"}, [TOPIC], self.tracker, self.listener,
            commit_interval=3600, lag_interval=0, hook_deadline=1.0,
            client_factory=self.factory,
        )  # fmt: skip

    def factory(self, config: dict[str, Any]) -> FakeClient:
        self.clients.append(FakeClient(config))
        return self.clients[0]

    @property
    def client(self) -> FakeClient:
        return self.clients[0]

    def then(self, step: Callable[[], list[Message] | None]) -> None:
        self.client.script.append(lambda: step() or [])


@pytest.fixture
async def harness() -> Any:
    h = Harness()
    await h.consumer.start()
    h.then(lambda: h.client.rebalance("assign", 0, 1))
    await h.consumer.poll(10, 0)
    yield h
    h.client.gate = None
    await h.consumer.close(drain_deadline=0)


def test_auto_commit_and_auto_offset_store_cannot_be_switched_on() -> None:
    config = build_config({"enable.auto.commit": True, "enable.auto.offset.store": True})
    assert config["enable.auto.commit"] is False
    assert config["enable.auto.offset.store"] is False
    assert config["partition.assignment.strategy"] == "cooperative-sticky"


def test_the_consumer_protocol_drops_the_settings_librdkafka_refuses_with_it() -> None:
    config = build_config({"group.protocol": "consumer", "session.timeout.ms": 6000})
    assert "partition.assignment.strategy" not in config
    assert "session.timeout.ms" not in config


async def test_records_come_back_tracked_and_errors_are_counted_never_returned(
    harness: Harness,
) -> None:
    eof = KafkaError(KafkaError._PARTITION_EOF)
    unknown = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "no such topic")
    harness.then(lambda: [message(0, 3), failed(unknown), failed(eof), message(1, 8)])
    records = await harness.consumer.poll(10, 0)
    assert [(r.partition, r.offset) for r in records] == [(0, 3), (1, 8)]
    assert harness.tracker.outstanding(P0) == harness.tracker.outstanding(P1) == 1
    assert harness.consumer.errors == {"UNKNOWN_TOPIC_OR_PART": 1}


async def test_a_fatal_message_error_ends_the_poll_with_kafka_fatal(harness: Harness) -> None:
    fatal = KafkaError(KafkaError._FATAL, "fenced", fatal=True)
    harness.then(lambda: [failed(fatal)])
    with pytest.raises(KafkaFatal, match="fenced"):
        await harness.consumer.poll(10, 0)


async def test_a_fatal_client_error_ends_the_poll_with_kafka_fatal(harness: Harness) -> None:
    fatal = KafkaError(KafkaError.FENCED_INSTANCE_ID, "fenced by a newer member", fatal=True)
    harness.then(lambda: harness.client.config["error_cb"](fatal))
    with pytest.raises(KafkaFatal, match="newer member"):
        await harness.consumer.poll(10, 0)


async def test_revoke_drains_then_commits_then_forgets(harness: Harness) -> None:
    harness.then(lambda: [message(0, 0), message(0, 1), message(1, 0)])
    await harness.consumer.poll(10, 0)
    harness.tracker.done(P0, 0)

    async def drain() -> None:
        await asyncio.sleep(0.01)
        harness.tracker.done(P0, 1)  # the in-flight record finishes during the drain

    harness.listener.drain = drain
    harness.then(lambda: harness.client.rebalance("revoke", 0))
    await harness.consumer.poll(10, 0)
    assert harness.client.log[-2:] == [("on_revoked", [0]), ("commit-sync", {0: 2})]
    assert harness.consumer.assignment() == {P1}
    assert harness.tracker.committable(P0) is None


async def test_lost_partitions_are_forgotten_and_never_committed(harness: Harness) -> None:
    harness.then(lambda: [message(0, 0)])
    await harness.consumer.poll(10, 0)
    harness.tracker.done(P0, 0)
    harness.then(lambda: harness.client.rebalance("lost", 0))
    await harness.consumer.poll(10, 0)
    harness.consumer.request_commit()
    await harness.consumer.poll(10, 0)
    assert ("on_lost", [0]) in harness.client.log
    assert not [entry for entry in harness.client.log if entry[0].startswith("commit")]


async def test_records_of_a_partition_revoked_within_the_same_consume_are_dropped(
    harness: Harness,
) -> None:
    def revoke_then_deliver() -> list[Message]:
        harness.client.rebalance("revoke", 0)
        return [message(0, 5), message(1, 5)]

    harness.then(revoke_then_deliver)
    records = await harness.consumer.poll(10, 0)
    assert [(r.partition, r.offset) for r in records] == [(1, 5)]
    assert harness.tracker.position(P0) is None


async def test_a_failing_hook_is_raised_from_the_next_poll_after_the_revoke_completes(
    harness: Harness,
) -> None:
    async def broken_drain() -> None:
        raise RuntimeError("drain broke")

    harness.listener.drain = broken_drain
    harness.then(lambda: harness.client.rebalance("revoke", 1))
    with pytest.raises(RuntimeError, match="drain broke"):
        await harness.consumer.poll(10, 0)
    assert harness.consumer.assignment() == {P0}


async def test_a_hook_past_its_deadline_is_cancelled_and_the_revoke_goes_on(
    harness: Harness,
) -> None:
    harness.then(lambda: [message(1, 0)])
    await harness.consumer.poll(10, 0)
    harness.tracker.done(P1, 0)
    harness.listener.drain = lambda: asyncio.sleep(3600)
    harness.then(lambda: harness.client.rebalance("revoke", 1))
    await harness.consumer.poll(10, 0)
    assert harness.client.log[-1] == ("commit-sync", {1: 1})


async def test_pause_and_resume_requests_are_applied_by_the_next_poll(harness: Harness) -> None:
    harness.consumer.pause([P1, TopicPartition("not-ours", 0)])
    assert harness.consumer.paused() == frozenset()
    await harness.consumer.poll(10, 0)
    assert harness.consumer.paused() == {P1}
    harness.consumer.resume([P1])
    await harness.consumer.poll(10, 0)
    assert harness.client.log[-2:] == [("pause", [1]), ("resume", [1])]


async def test_periodic_commits_cover_finished_work_and_a_refused_commit_is_resent(
    harness: Harness,
) -> None:
    harness.then(lambda: [message(0, 0), message(0, 1)])
    await harness.consumer.poll(10, 0)
    harness.tracker.done(P0, 0)
    harness.consumer.request_commit()
    harness.then(lambda: harness.client.config["on_commit"](
        KafkaError(KafkaError.REBALANCE_IN_PROGRESS), [KafkaTopicPartition(TOPIC, 0, 1)]
    ))  # fmt: skip
    await harness.consumer.poll(10, 0)
    harness.consumer.request_commit()
    await harness.consumer.poll(10, 0)
    commits = [entry for entry in harness.client.log if entry[0] == "commit-async"]
    assert commits == [("commit-async", {0: 1}), ("commit-async", {0: 1})]
    assert harness.consumer.errors["REBALANCE_IN_PROGRESS"] == 1


async def test_a_cancelled_poll_hands_its_records_to_the_next_poll(harness: Harness) -> None:
    harness.client.gate = threading.Event()
    harness.then(lambda: [message(0, 0), message(0, 1)])
    waiting = asyncio.create_task(harness.consumer.poll(10, 5))
    await asyncio.sleep(0.05)
    waiting.cancel()
    harness.client.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    harness.client.gate = None
    await asyncio.sleep(0.05)
    records = await harness.consumer.poll(10, 0)
    assert [r.offset for r in records] == [0, 1]


async def test_lag_is_the_high_watermark_minus_the_lowest_unfinished_offset(
    harness: Harness,
) -> None:
    harness.then(lambda: [message(0, 3), message(0, 4)])
    await harness.consumer.poll(10, 0)
    assert harness.consumer.lag() == {P0: 7}  # high watermark 10, offset 3 unfinished
