"""The part of ``confluent_kafka.Consumer`` that ``AsyncConsumer`` calls: the seam tests fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, overload

from confluent_kafka import Message
from confluent_kafka import TopicPartition as KafkaTopicPartition

RebalanceCallback = Callable[[object, list[KafkaTopicPartition]], None]


class ConsumerClient(Protocol):
    """A librdkafka high-level consumer, as far as we call it."""

    def subscribe(
        self,
        topics: list[str],
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None: ...
    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]: ...
    def pause(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def resume(self, partitions: list[KafkaTopicPartition]) -> None: ...
    @overload
    def commit(
        self, *, offsets: list[KafkaTopicPartition], asynchronous: Literal[True] = ...
    ) -> None: ...
    @overload
    def commit(
        self, *, offsets: list[KafkaTopicPartition], asynchronous: Literal[False]
    ) -> list[KafkaTopicPartition]: ...
    def get_watermark_offsets(
        self, partition: KafkaTopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]: ...
    def close(self) -> None: ...
