"""Property-based checks of what hostile input can reach: decoding, money, lifecycle, signatures.

Each property holds for every input hypothesis can think of, not just the examples we wrote.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from consumer import events, lifecycle, money
from consumer.errors import InvalidEvent
from consumer.events import OrderStatus
from consumer.logs import redact
from consumer.webhooks import signature
from consumer.webhooks.signature import InvalidSignature
from tests import factories

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


def outcome_of(decode: Callable[[], object]) -> str:
    """ "decoded", or the reason InvalidEvent gave; any other exception escapes and fails."""
    try:
        decode()
    except InvalidEvent as exc:
        return exc.reason
    return "decoded"


@given(st.binary(max_size=2048))
def test_any_bytes_decode_or_fail_with_invalid_event(raw: bytes) -> None:
    assert outcome_of(lambda: events.decode(events.PaymentDeclined, raw))
    assert outcome_of(lambda: events.decode(events.PaymentApproved, raw))
    assert outcome_of(lambda: events.decode_command(raw))


@given(JSON)
def test_any_json_value_decodes_or_fails_with_a_reason(value: object) -> None:
    raw = json.dumps(value).encode()
    assert outcome_of(lambda: events.decode(events.PaymentDeclined, raw))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.dictionaries(st.sampled_from(["amount_minor", "currency", "card", "occurred_at",
                                        "transaction_id", "decline", "is_mit"]), JSON,
                       min_size=1, max_size=3))  # fmt: skip
def test_corrupting_fields_of_a_valid_event_never_escapes_invalid_event(
    corruption: dict[str, object],
) -> None:
    document = json.loads(factories.declined().model_dump_json()) | corruption
    reason = outcome_of(
        lambda: events.decode(events.PaymentDeclined, json.dumps(document).encode())
    )
    echoed = [v for v in corruption.values() if isinstance(v, str) and len(v) > 12 and v in reason]
    assert echoed == [], "a reason never quotes the offending value (it may be card data)"


@given(st.sampled_from(sorted(money.ISO_4217_CODES)), st.integers(min_value=0, max_value=10**15))
def test_minor_units_survive_the_trip_to_major_units_and_back(currency: str, minor: int) -> None:
    major = money.to_major(minor, currency)
    assert money.to_minor(major, currency) == minor
    assert -major.as_tuple().exponent == money.exponent(currency)  # type: ignore[operator]
    assert major == Decimal(minor) / (10 ** money.exponent(currency))


STATUSES = st.sampled_from([*OrderStatus, lifecycle.PENDING])


@given(st.lists(st.sampled_from(list(OrderStatus)), max_size=12))
def test_no_sequence_of_statuses_leaves_a_terminal_status(sequence: list[OrderStatus]) -> None:
    current: str = lifecycle.PENDING
    for new in sequence:
        before = current
        if lifecycle.move(current, new) is lifecycle.Move.APPLIED:
            current = new
        if lifecycle.is_terminal(before):
            assert current == before or before == OrderStatus.REFUNDED


@given(STATUSES, st.sampled_from(list(OrderStatus)))
def test_every_move_is_exactly_one_of_applied_unchanged_regression(
    current: str, new: OrderStatus
) -> None:
    result = lifecycle.move(current, new)
    if result is lifecycle.Move.UNCHANGED:
        assert current == new
    if current == new and new != OrderStatus.PARTIALLY_REFUNDED:
        assert result is not lifecycle.Move.APPLIED or new == OrderStatus.FAILED


KEY = base64.b64encode(b"property key").decode()


@given(st.binary(max_size=512), st.integers(min_value=0), st.binary(min_size=1, max_size=8))
def test_any_change_to_a_signed_body_is_refused(body: bytes, position: int, junk: bytes) -> None:
    headers = signature.sign(body, KEY, "shop.example", nonce="a" * 32,
                             date="Mon, 20 Mar 2023 17:16:40 GMT")  # fmt: skip
    signature.verify(body, headers, [SecretStr(KEY)], "shop.example")
    at = position % (len(body) + 1)
    altered = body[:at] + junk + body[at:]
    try:
        signature.verify(altered, headers, [SecretStr(KEY)], "shop.example")
    except InvalidSignature:
        return
    raise AssertionError("an altered body verified")


@given(st.dictionaries(st.sampled_from(["x-fc-date", "x-fc-nonce", "x-fc-content-sha512",
                                        "x-fc-authorization", "x-fc-signature", "host"]),
                       st.text(max_size=200), max_size=6),
       st.binary(max_size=256))  # fmt: skip
def test_arbitrary_headers_never_verify_and_fail_cleanly(
    headers: dict[str, str], body: bytes
) -> None:
    try:
        signature.verify(body, headers, [SecretStr(KEY)], "shop.example")
    except InvalidSignature as exc:
        reason: str = exc.reason
    else:
        reason = "verified"
    assert reason in {"missing_header", "malformed", "stale", "content_hash", "signature"}


@given(st.text(max_size=300))
def test_redaction_leaves_no_luhn_valid_card_number(text: str) -> None:
    cleaned = redact(text + " 4111 1111 1111 1111 " + text)
    assert "4111 1111 1111 1111" not in cleaned
    assert not any(events.looks_like_pan(word) for word in cleaned.split())
