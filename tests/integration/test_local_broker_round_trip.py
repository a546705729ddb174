"""The broker the project starts itself is a real Kafka: records produced are consumed back."""

from __future__ import annotations

from confluent_kafka import Consumer, Message, Producer

from consumer.kafka.topics import ensure_topics
from tests import factories


def test_records_produced_to_the_local_broker_are_consumed_back_in_order(
    kafka_bootstrap: str, unique: str
) -> None:
    topic = f"round-trip-{unique}"
    ensure_topics({"bootstrap.servers": kafka_bootstrap}, [topic], partitions=3)
    sent = [factories.declined(f"tx-{unique}") for _ in range(20)]

    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    for event in sent:
        producer.produce(topic, key=event.transaction_id, value=event.model_dump_json())
    assert producer.flush(30) == 0

    consumer = Consumer({
        "bootstrap.servers": kafka_bootstrap,
        "group.id": f"round-trip-{unique}",
        "auto.offset.reset": "earliest",
    })  # fmt: skip
    consumer.subscribe([topic])
    received: list[Message] = []
    try:
        while len(received) < len(sent):
            message = consumer.poll(10)
            assert message is not None, f"only {len(received)} of {len(sent)} records came back"
            assert message.error() is None, message.error()
            received.append(message)
    finally:
        consumer.close()

    # One key, so one partition, so the order is the order produced.
    assert {message.partition() for message in received} == {received[0].partition()}
    assert [message.value() for message in received] == [
        event.model_dump_json().encode() for event in sent
    ]
    assert all(message.key() == f"tx-{unique}".encode() for message in received)
