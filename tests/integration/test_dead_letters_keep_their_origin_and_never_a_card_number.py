"""A dead letter written to the real broker carries its origin headers and a redacted value."""

from __future__ import annotations

from consumer.kafka.consumer import AsyncConsumer
from consumer.kafka.dead_letter import DeadLetterWriter
from consumer.kafka.offsets import OffsetTracker
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.records import Record
from tests.kafka_support import consumer_config, finish, new_topic, poll_until

PAN = "4111111111111111"


async def test_the_dead_letter_read_back_has_origin_headers_and_no_card_number(
    kafka_bootstrap: str, unique: str
) -> None:
    dead_letters = new_topic(kafka_bootstrap, f"dlq-{unique}")
    bad = Record(
        topic="payment-declined", partition=3, offset=17, key=b"tx-9",
        value=f'{{"card_number": "{PAN}"}}'.encode(), headers=(("trace", b"t-1"),),
    )  # fmt: skip
    async with AsyncProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        delivered = await DeadLetterWriter(producer, dead_letters).send(bad, "card data in event")

    tracker = OffsetTracker()
    config = consumer_config(kafka_bootstrap, f"dlq-{unique}")
    async with AsyncConsumer(config, [dead_letters], tracker) as consumer:
        [letter] = await poll_until(consumer, lambda got: len(got) == 1)
        finish(tracker, [letter])

    assert (letter.partition, letter.offset) == (delivered.partition, delivered.offset)
    assert letter.key == b"tx-9"
    assert PAN.encode() not in (letter.value or b"")
    assert letter.value == b'{"card_number": "[REDACTED-PAN]"}'
    headers = dict(letter.headers)
    assert headers["trace"] == b"t-1"
    assert headers["flexmit-dlq-reason"] == b"card data in event"
    assert headers["flexmit-dlq-topic"] == b"payment-declined"
    assert headers["flexmit-dlq-partition"] == b"3"
    assert headers["flexmit-dlq-offset"] == b"17"
    assert headers["flexmit-dlq-at"].decode().endswith("+00:00")
    assert headers["flexmit-dlq-redacted"] == b"true"
