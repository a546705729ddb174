"""Request bodies are JSON with exact decimal numbers, never passed through floats."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from consumer.flex.models import RefundRequest
from consumer.flex.wire import decimal_number, encode


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("12.00"), "12.00"),
        (Decimal("1234"), "1234"),
        (Decimal("1.234"), "1.234"),
        (Decimal("0.29"), "0.29"),
        (Decimal("1E+3"), "1000"),
        (Decimal("123456789012345678.99"), "123456789012345678.99"),
    ],
)
def test_decimal_number_keeps_every_digit(value: Decimal, text: str) -> None:
    assert decimal_number(value) == text
    assert json.loads(text, parse_float=Decimal) == value


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_decimal_number_refuses_what_json_cannot_hold(value: Decimal) -> None:
    with pytest.raises(ValueError, match="not a JSON number"):
        decimal_number(value)


def test_encode_escapes_text_and_leaves_out_nulls() -> None:
    body = encode(RefundRequest(amount_to_refund=Decimal("5.00"), refund_message='say "hi" \u00e9'))
    assert json.loads(body) == {"amountToRefund": 5.0, "refundMessage": 'say "hi" \u00e9'}
    assert encode(RefundRequest(amount_to_refund=Decimal("5.00"))) == b'{"amountToRefund":5.00}'


def test_refund_amount_must_be_positive() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        RefundRequest(amount_to_refund=Decimal("0.00"))
