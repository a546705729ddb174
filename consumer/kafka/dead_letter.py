"""Dead letters: records we cannot handle, kept with where they came from and why, minus card data.

A dead letter carries the original key, value and headers, plus ``flexmit-dlq-*`` headers naming
its origin (topic, partition, offset), the reason and when it happened. A bad record is exactly
where a card number may hide, so key, value, header values and reason are scrubbed with
``consumer.logs.redact`` before anything is copied; ``flexmit-dlq-redacted: true`` says the copy
differs from the original. Text that is not UTF-8 is scrubbed as Latin-1, which keeps every
byte except the digits of a card number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from consumer.kafka.producer import Delivered, Sender
from consumer.kafka.records import Headers, Record
from consumer.logs import redact

PREFIX = "flexmit-dlq-"
REASON = PREFIX + "reason"
TOPIC = PREFIX + "topic"
PARTITION = PREFIX + "partition"
OFFSET = PREFIX + "offset"
AT = PREFIX + "at"
REDACTED = PREFIX + "redacted"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """What goes to the dead-letter topic for one record."""

    key: bytes | None
    value: bytes | None
    headers: Headers


def dead_letter(record: Record, reason: str, at: datetime) -> DeadLetter:
    """The scrubbed copy of ``record`` with its origin and ``reason`` in headers."""
    key, key_changed = scrub(record.key)
    value, value_changed = scrub(record.value)
    kept = [(name, scrub(data)) for name, data in without_dead_letter_headers(record.headers)]
    changed = key_changed or value_changed or any(clean[1] for _, clean in kept)
    headers = [(name, clean[0] or b"") for name, clean in kept]
    headers += [
        (REASON, redact(reason).encode()),
        (TOPIC, record.topic.encode()),
        (PARTITION, str(record.partition).encode()),
        (OFFSET, str(record.offset).encode()),
        (AT, at.astimezone(UTC).isoformat().encode()),
    ]
    if changed:
        headers.append((REDACTED, b"true"))
    return DeadLetter(key, value, tuple(headers))


def scrub(data: bytes | None) -> tuple[bytes | None, bool]:
    """``data`` with card numbers replaced, and whether anything was replaced."""
    if data is None:
        return None, False
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    clean = redact(text)
    return (data, False) if clean == text else (clean.encode(encoding), True)


def without_dead_letter_headers(headers: Headers) -> Headers:
    """``headers`` minus ours, e.g. to re-publish a dead letter or dead-letter it again."""
    return tuple((name, data) for name, data in headers if not name.startswith(PREFIX))


def _now() -> datetime:
    return datetime.now(UTC)


class DeadLetterWriter:
    """Produces dead letters of records to one topic."""

    def __init__(self, producer: Sender, topic: str, clock: Callable[[], datetime] = _now) -> None:
        self._producer = producer
        self._topic = topic
        self._clock = clock

    async def send(self, record: Record, reason: str) -> Delivered:
        """Dead-letter ``record`` for ``reason``; returns once the broker has it."""
        letter = dead_letter(record, reason, self._clock())
        return await self._producer.send(
            self._topic, letter.value, key=letter.key, headers=letter.headers
        )
