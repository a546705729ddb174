"""``flexmit dlq replay`` re-publishes dead letters to the topic they came from, once."""

from __future__ import annotations

import asyncio
import logging

import pytest
from confluent_kafka import Consumer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer import cli
from consumer.kafka.dead_letter import DeadLetterWriter
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.records import Record
from tests.kafka_support import new_topic


def read_all(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None, object]]:
    """Every record of partition 0 of ``topic``: (key, value, headers)."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{topic}"})
    try:
        _, end = reader.get_watermark_offsets(KafkaTopicPartition(topic, 0), timeout=10)
        reader.assign([KafkaTopicPartition(topic, 0, 0)])
        got: list[tuple[bytes | None, bytes | None, object]] = []
        while len(got) < end:
            message = reader.poll(10)
            assert message is not None
            assert message.error() is None
            got.append((message.key(), message.value(), message.headers()))
        return got
    finally:
        reader.close()


async def write_dead_letters(bootstrap: str, topic: str, records: list[Record]) -> None:
    async with AsyncProducer({"bootstrap.servers": bootstrap}) as producer:
        writer = DeadLetterWriter(producer, topic)
        for record in records:
            await writer.send(record, "handler failed")


def test_replay_copies_dead_letters_back_once_honouring_filter_dry_run_and_limit(
    kafka_bootstrap: str,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    orders = new_topic(kafka_bootstrap, f"orders-{unique}")
    others = new_topic(kafka_bootstrap, f"others-{unique}")
    dead_letters = new_topic(kafka_bootstrap, f"dlq-{unique}")
    asyncio.run(write_dead_letters(kafka_bootstrap, dead_letters, [
        Record(orders, 0, 5, b"k1", b"v1", (("trace", b"t1"),)),
        Record(others, 0, 6, b"k2", b"v2"),
        Record(orders, 0, 7, b"k3", b"v3"),
    ]))  # fmt: skip
    root = logging.getLogger()  # the command installs its log handler; undo it afterwards
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("FLEXMIT_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("FLEXMIT_KAFKA__GROUP_ID", f"flexmit-{unique}")
    monkeypatch.setenv("FLEXMIT_KAFKA__TOPICS__DEAD_LETTER", dead_letters)

    assert cli.main(["dlq", "replay", "--topic", orders, "--dry-run"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert printed.count(f"to {orders}: handler failed") == 2
    assert "would replay 2, skipped 1 from other topics" in printed
    assert read_all(kafka_bootstrap, orders) == []

    assert cli.main(["dlq", "replay", "--topic", orders]) == cli.EXIT_OK
    assert "replayed 2, skipped 1" in capsys.readouterr().out
    assert read_all(kafka_bootstrap, orders) == [
        (b"k1", b"v1", [("trace", b"t1")]),  # the flexmit-dlq-* headers are gone
        (b"k3", b"v3", None),
    ]

    assert cli.main(["dlq", "replay", "--topic", orders]) == cli.EXIT_OK
    assert "replayed 0" in capsys.readouterr().out  # its group committed the first run

    assert cli.main(["dlq", "replay", "--limit", "1"]) == cli.EXIT_OK
    assert "replayed 1," in capsys.readouterr().out
    assert len(read_all(kafka_bootstrap, orders)) == 3
    assert read_all(kafka_bootstrap, others) == []
