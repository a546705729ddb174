"""When librdkafka's local queue is full, send waits and retries: every record arrives."""

from __future__ import annotations

import asyncio

from consumer.kafka.producer import AsyncProducer
from tests.kafka_support import new_topic


async def test_sends_beyond_the_queue_capacity_all_arrive(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = new_topic(kafka_bootstrap, f"full-{unique}")
    config: dict[str, str | int] = {
        "bootstrap.servers": kafka_bootstrap,
        "queue.buffering.max.messages": 5,
        "linger.ms": 0,
    }
    async with AsyncProducer(config) as producer:
        deliveries = await asyncio.gather(*(producer.send(topic, b"%d" % n) for n in range(200)))
        assert producer.queue_full_waits > 0
    # One partition, idempotent producer: offsets 0..199, in the order sent.
    assert [d.offset for d in deliveries] == list(range(200))
