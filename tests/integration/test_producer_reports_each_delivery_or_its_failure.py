"""Each send resolves with where the broker stored the record, or raises KafkaUnavailable."""

from __future__ import annotations

import asyncio

import pytest

from consumer.errors import KafkaUnavailable
from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.producer import AsyncProducer
from tests.kafka_support import consumer_config, finish, new_topic, poll_until


async def test_deliveries_resolve_with_the_partition_and_offset_the_record_is_read_from(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"deliver-{unique}", partitions=3)
    async with AsyncProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        deliveries = await asyncio.gather(*(
            producer.send(topic, b"value-%d" % n, key=b"key-%d" % n, headers=[("n", b"%d" % n)])
            for n in range(30)
        ))  # fmt: skip
    sent = {(d.partition, d.offset): n for n, d in enumerate(deliveries)}
    assert len(sent) == 30  # no two records share a place

    tracker = OffsetTracker()
    config = consumer_config(kafka_bootstrap, f"deliver-{unique}")
    async with AsyncConsumer(config, [topic], tracker) as consumer:
        records = await poll_until(consumer, lambda got: len(got) == 30)
        finish(tracker, records)
    for record in records:
        n = sent[(record.partition, record.offset)]
        assert (record.key, record.value) == (b"key-%d" % n, b"value-%d" % n)
        assert record.headers == (("n", b"%d" % n),)


async def test_a_record_the_broker_never_acknowledges_raises_kafka_unavailable(
    kafka_bootstrap: str, unique: str
) -> None:
    # The local broker does not create topics on demand, so this one never gets a leader.
    config: dict[str, str | int] = {"bootstrap.servers": kafka_bootstrap, "message.timeout.ms": 500}
    async with AsyncProducer(config) as producer:
        with pytest.raises(KafkaUnavailable, match="delivery to missing"):
            await producer.send(f"missing-{unique}", b"v")
