"""Our own view of a Kafka record, so nothing above ``consumer/kafka/`` sees librdkafka types."""

from __future__ import annotations

from dataclasses import dataclass

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True, order=True)
class TopicPartition:
    """One partition of one topic; hashable, ordered by topic then partition."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]"


@dataclass(frozen=True, slots=True)
class Record:
    """A consumed record. A header without a value is kept with ``b""``."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int | None = None

    @property
    def tp(self) -> TopicPartition:
        """The partition this record came from."""
        return TopicPartition(self.topic, self.partition)

    def header(self, name: str) -> bytes | None:
        """The last value of header ``name``, or None; Kafka allows repeated headers."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None

    def __repr__(self) -> str:
        # Never the value: it may hold personal data or, in a bad record, a card number.
        return f"Record({self.topic}[{self.partition}]@{self.offset})"
