"""Our Kafka contract decodes what it promises and refuses what it must."""

from __future__ import annotations

import json
import uuid

import pytest

from consumer import events
from consumer.errors import InvalidEvent
from tests import factories


def test_declined_event_round_trips_through_json() -> None:
    event = factories.declined()
    decoded = events.decode(events.PaymentDeclined, event.model_dump_json().encode())
    assert decoded == event


def test_unknown_fields_are_ignored_so_producers_can_evolve_first() -> None:
    raw = json.loads(factories.declined().model_dump_json())
    raw["new_field_from_a_newer_producer"] = {"x": 1}
    decoded = events.decode(events.PaymentDeclined, json.dumps(raw).encode())
    assert decoded.transaction_id == raw["transaction_id"]


def test_card_number_in_token_field_is_refused_without_echoing_it() -> None:
    raw = json.loads(factories.declined().model_dump_json())
    raw["card"]["token"] = "4111 1111 1111 1111"
    with pytest.raises(InvalidEvent) as caught:
        events.decode(events.PaymentDeclined, json.dumps(raw).encode())
    assert "card.token" in caught.value.reason
    assert "looks like a card number" in caught.value.reason
    assert "4111" not in caught.value.reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff\xfe not json", "<record>: Invalid JSON"),
        (b'{"transaction_id": 7}', "transaction_id: Input should be a valid string"),
        (None, "record has no value"),
    ],
)
def test_bad_records_get_a_readable_reason(raw: bytes | None, expected: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        events.decode(events.PaymentDeclined, raw)
    assert expected in caught.value.reason


def test_missing_transaction_id_is_named() -> None:
    raw = json.loads(factories.declined().model_dump_json())
    del raw["transaction_id"]
    with pytest.raises(InvalidEvent, match=r"transaction_id: Field required"):
        events.decode(events.PaymentDeclined, json.dumps(raw).encode())


def test_naive_timestamps_are_refused() -> None:
    raw = json.loads(factories.declined().model_dump_json())
    raw["occurred_at"] = "2026-11-26T10:00:00"
    with pytest.raises(InvalidEvent, match="occurred_at"):
        events.decode(events.PaymentDeclined, json.dumps(raw).encode())


def test_unknown_currency_is_refused() -> None:
    raw = json.loads(factories.declined().model_dump_json())
    raw["currency"] = "XYZ"
    with pytest.raises(InvalidEvent, match="currency: Value error, is not an ISO 4217"):
        events.decode(events.PaymentDeclined, json.dumps(raw).encode())


def test_commands_decode_by_their_type() -> None:
    refund = b'{"command_type":"refund","command_id":"c1","transaction_id":"t1",' \
             b'"amount_minor":500,"requested_at":"2026-11-26T10:00:00Z"}'  # fmt: skip
    cancel = b'{"command_type":"cancel","command_id":"c2","transaction_id":"t1",' \
             b'"requested_at":"2026-11-26T10:00:00Z"}'  # fmt: skip
    assert isinstance(events.decode_command(refund), events.RefundRequested)
    assert isinstance(events.decode_command(cancel), events.CancelRequested)
    with pytest.raises(InvalidEvent, match="command_type"):
        events.decode_command(b'{"command_type":"capture","command_id":"c3"}')


def test_derived_ids_are_stable_and_distinct() -> None:
    assert events.derive_id("tx-1", "evaluate") == events.derive_id("tx-1", "evaluate")
    assert events.derive_id("tx-1", "evaluate") != events.derive_id("tx-2", "evaluate")
    # The separator keeps ("a", "bc") and ("ab", "c") apart.
    assert events.derive_id("a", "bc") != events.derive_id("ab", "c")
    assert isinstance(events.derive_id("x"), uuid.UUID)


@pytest.mark.parametrize(
    ("value", "is_pan"),
    [
        ("4111111111111111", True),
        ("4000-0027-6000-3184", True),
        ("5555555555554444", True),
        ("4111111111111112", False),  # fails Luhn
        ("411111", False),  # a BIN
        ("d1f7a7e4-8a3b-4a5e-9c1f-2b3c4d5e6f70", False),  # a vault token
    ],
)
def test_pan_detection(value: str, is_pan: bool) -> None:
    assert events.looks_like_pan(value) is is_pan
