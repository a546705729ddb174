"""Dead letters keep their origin and original headers and never carry a card number."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from consumer import schemagen
from consumer.kafka.dead_letter import DeadLetterWriter, dead_letter, scrub
from consumer.kafka.producer import Delivered
from consumer.kafka.records import Record

PAN = "4111 1111 1111 1111"  # a test card number: passes the Luhn check
AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def record(value: bytes | None = b'{"ok": true}', **fields: Any) -> Record:
    base = Record("payment-declined", 7, 42, b"tx-1", value, (("trace", b"abc"),))
    return dataclasses.replace(base, **fields)


def test_a_dead_letter_names_its_origin_reason_and_time_after_the_original_headers() -> None:
    letter = dead_letter(record(), "invalid event: amount missing", AT)
    assert letter.key == b"tx-1"
    assert letter.value == b'{"ok": true}'
    assert letter.headers == (
        ("trace", b"abc"),
        ("flexmit-dlq-reason", b"invalid event: amount missing"),
        ("flexmit-dlq-topic", b"payment-declined"),
        ("flexmit-dlq-partition", b"7"),
        ("flexmit-dlq-offset", b"42"),
        ("flexmit-dlq-at", b"2026-03-01T12:30:00+00:00"),
    )


def test_the_time_is_written_in_utc_whatever_the_clock_zone() -> None:
    letter = dead_letter(record(), "r", AT.astimezone(timezone(timedelta(hours=2))))
    assert dict(letter.headers)["flexmit-dlq-at"] == b"2026-03-01T12:30:00+00:00"


def test_a_card_number_in_the_value_is_redacted_and_flagged() -> None:
    value = f'{{"card": "{PAN}", "amount": 4999}}'.encode()
    letter = dead_letter(record(value), "looks like a card number", AT)
    assert letter.value == b'{"card": "[REDACTED-PAN]", "amount": 4999}'
    assert ("flexmit-dlq-redacted", b"true") in letter.headers


def test_card_numbers_are_removed_from_key_headers_and_reason_too() -> None:
    bad = record(key=PAN.encode(), headers=(("note", f"card {PAN}".encode()),))
    letter = dead_letter(bad, f"refused token {PAN}", AT)
    everything = b"".join([letter.key or b"", letter.value or b""]) + b"".join(
        name.encode() + data for name, data in letter.headers
    )
    assert PAN.replace(" ", "").encode() not in everything.replace(b" ", b"")
    assert dict(letter.headers)["note"] == b"card [REDACTED-PAN]"
    assert dict(letter.headers)["flexmit-dlq-reason"] == b"refused token [REDACTED-PAN]"


def test_a_value_that_is_not_utf8_is_still_scrubbed_and_keeps_its_other_bytes() -> None:
    value = b"\xff\xfe binary " + PAN.encode() + b" \x80"
    clean, changed = scrub(value)
    assert changed
    assert clean == b"\xff\xfe binary [REDACTED-PAN] \x80"


def test_nothing_is_flagged_when_nothing_was_redacted() -> None:
    letter = dead_letter(record(value=None), "r", AT)
    assert letter.value is None
    assert "flexmit-dlq-redacted" not in dict(letter.headers)


def test_a_dead_letter_dead_lettered_again_carries_only_the_latest_origin() -> None:
    first = dead_letter(record(), "first", AT)
    again = record(topic="payment-declined-retry", headers=first.headers)
    headers = dead_letter(again, "second", AT).headers
    assert [name for name, _ in headers].count("flexmit-dlq-reason") == 1
    assert dict(headers)["flexmit-dlq-topic"] == b"payment-declined-retry"


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, Sequence[tuple[str, bytes]]]] = []

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Delivered:
        self.sent.append((topic, key, value, headers or ()))
        return Delivered(0, len(self.sent) - 1)


async def test_the_writer_produces_the_dead_letter_to_its_topic() -> None:
    producer = FakeProducer()
    writer = DeadLetterWriter(producer, "flexmit-dead-letter", clock=lambda: AT)
    assert await writer.send(record(), "why") == Delivered(0, 0)
    [(topic, key, value, headers)] = producer.sent
    assert (topic, key, value) == ("flexmit-dead-letter", b"tx-1", b'{"ok": true}')
    assert headers == dead_letter(record(), "why", AT).headers


def test_every_header_a_dead_letter_adds_is_in_the_published_contract() -> None:
    contract = json.loads(schemagen.render()["asyncapi.json"])
    published = contract["components"]["messages"]["DeadLetter"]["headers"]["properties"]
    letter = dead_letter(record(value=PAN.encode()), "r", AT)
    added = {name for name, _ in letter.headers if name.startswith("flexmit-dlq-")}
    assert added == set(published)
