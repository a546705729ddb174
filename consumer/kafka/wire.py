"""Conversions between librdkafka's types and ours; only ``consumer/kafka/`` imports this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.kafka.records import Headers, Record, TopicPartition

RawHeaders = Mapping[str, str | bytes | None] | list[tuple[str, str | bytes | None]] | None


def to_record(message: Message) -> Record:
    """Our Record for a message that carries no error."""
    kind, timestamp = message.timestamp()
    return Record(
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
        key=message.key(),
        value=message.value(),
        headers=to_headers(message.headers()),
        timestamp_ms=None if kind == TIMESTAMP_NOT_AVAILABLE else timestamp,
    )


def to_headers(raw: RawHeaders) -> Headers:
    """Headers as (name, bytes) pairs; a header without a value becomes ``b""``."""
    pairs = raw.items() if isinstance(raw, Mapping) else raw or ()
    return tuple((name, _as_bytes(value)) for name, value in pairs)


def ours(partitions: Iterable[KafkaTopicPartition]) -> frozenset[TopicPartition]:
    """librdkafka's partitions as ours (offsets dropped)."""
    return frozenset(TopicPartition(p.topic, p.partition) for p in partitions)


def theirs(partitions: Iterable[TopicPartition]) -> list[KafkaTopicPartition]:
    """Our partitions as librdkafka's, in a stable order."""
    return [KafkaTopicPartition(tp.topic, tp.partition) for tp in sorted(partitions)]


def theirs_at(offsets: Mapping[TopicPartition, int]) -> list[KafkaTopicPartition]:
    """Partitions with the offsets to commit."""
    return [KafkaTopicPartition(tp.topic, tp.partition, offsets[tp]) for tp in sorted(offsets)]


def _as_bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value
