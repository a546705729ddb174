"""Demo traffic is reproducible, valid where it should be, and never carries a card number."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from consumer import events
from consumer.demo.traffic import Kind, generate
from consumer.errors import InvalidEvent

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_the_same_seed_gives_the_same_records() -> None:
    assert list(generate(200, seed=3, now=NOW)) == list(generate(200, seed=3, now=NOW))
    assert list(generate(50, seed=3, now=NOW)) != list(generate(50, seed=4, now=NOW))


def test_every_kind_appears_and_decodes_as_its_kind_says() -> None:
    records = list(generate(3000, seed=1, now=NOW))
    kinds = Counter(record.kind for record in records)
    assert set(kinds) == set(Kind)
    assert kinds[Kind.MIT_DECLINE] > kinds[Kind.CUSTOMER_INITIATED]
    for record in records:
        if record.kind is Kind.MALFORMED:
            with pytest.raises(InvalidEvent):
                events.decode(events.PaymentDeclined, record.value)
        elif record.kind is Kind.APPROVED:
            assert events.decode(events.PaymentApproved, record.value).transaction_id == record.key
        else:
            declined = events.decode(events.PaymentDeclined, record.value)
            assert declined.is_mit is (record.kind is not Kind.CUSTOMER_INITIATED)
            assert (declined.card.token is None) is (record.kind is Kind.NO_TOKEN)


def test_no_record_carries_a_card_number() -> None:
    for record in generate(2000, seed=2, now=NOW):
        text = record.value.decode("latin-1")
        assert not any(events.looks_like_pan(word.strip('",{}:')) for word in text.split())
