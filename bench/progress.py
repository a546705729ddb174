"""How far a candidate got, read from the broker: offsets committed, statuses published.

Committed offsets count only what the candidate declared done; published statuses count what
reached the output topic. A candidate is finished when both reached the target: at-least-once
candidates publish first and commit after, an at-most-once one the other way round.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from confluent_kafka import Consumer, TopicPartition

from bench.stack import PARTITIONS


class Progress:
    """Committed offsets of ``group`` on ``source``, and the end offsets of ``output``."""

    def __init__(self, bootstrap: str, group: str, source: str, output: str) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                   "enable.auto.commit": False})  # fmt: skip
        self._source = [TopicPartition(source, p) for p in range(PARTITIONS)]
        self._output = [TopicPartition(output, p) for p in range(PARTITIONS)]

    def committed(self) -> int:
        """Records of ``source`` the group has committed."""
        offsets = self._consumer.committed(self._source, timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)

    def published(self) -> int:
        """Records on ``output``."""
        ends = (self._consumer.get_watermark_offsets(tp, 10, False) for tp in self._output)
        return sum(high for _, high in ends)

    def close(self) -> None:
        """Close the probe consumer."""
        self._consumer.close()


@dataclass(frozen=True)
class Latencies:
    """Event timestamp to status appended, in milliseconds."""

    p50: float
    p99: float
    count: int


def latencies(bootstrap: str, source: str, output: str, prefix: str) -> Latencies:
    """For keys starting with ``prefix``: the status's append time minus the input's timestamp."""
    produced = _timestamps(bootstrap, source)
    published = _timestamps(bootstrap, output)
    wanted = prefix.encode()
    delays = sorted(
        published[key] - produced[key]
        for key in published
        if key.startswith(wanted) and key in produced
    )
    if not delays:
        return Latencies(float("nan"), float("nan"), 0)
    cut = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else delays
    return Latencies(statistics.median(delays), cut[-1], len(delays))


def _timestamps(bootstrap: str, topic: str) -> dict[bytes, int]:
    """Key -> timestamp (ms) of the first record with that key, for the whole topic."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-reader",
                       "enable.auto.commit": False, "enable.partition.eof": True})  # fmt: skip
    partitions = [TopicPartition(topic, p, 0) for p in range(PARTITIONS)]
    ends = {tp.partition: reader.get_watermark_offsets(tp, 10)[1] for tp in partitions}
    reader.assign([tp for tp in partitions if ends[tp.partition] > 0])
    left = {p for p, end in ends.items() if end > 0}
    found: dict[bytes, int] = {}
    while left:
        for message in reader.consume(10_000, 1.0):
            if message.error() is not None:
                left.discard(message.partition() or 0)
                continue
            found.setdefault(message.key() or b"", message.timestamp()[1])
            if (message.offset() or 0) + 1 >= ends[message.partition() or 0]:
                left.discard(message.partition() or 0)
    reader.close()
    return found
