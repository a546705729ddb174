"""The checkout form validates every field and never lets the card number or CVV out."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from consumer.checkout.form import CheckoutForm, InvalidCheckout, parse_form
from tests.unit.checkout.support import CARD, CVV, form_fields


def errors_for(**overrides: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidCheckout) as caught:
        parse_form(json.dumps(form_fields(**overrides)).encode())
    return caught.value.errors


def test_a_valid_form_yields_digits_amount_and_expiry() -> None:
    form = parse_form(json.dumps(form_fields()).encode())
    assert form.card_number.get_secret_value() == CARD
    assert (form.bin, form.last4) == ("400000", "3184")
    assert (form.expiry.month, form.expiry.year) == (9, 2030)
    assert (form.amount, form.amount_minor) == (Decimal("49.99"), 4999)
    assert form.holder_name == "Jane Doe"


@pytest.mark.parametrize("expiry", ["9/30", "09/2030", " 09 / 30 "])
def test_expiry_accepts_the_usual_spellings(expiry: str) -> None:
    form = parse_form(json.dumps(form_fields(expiry=expiry)).encode())
    assert (form.expiry.month, form.expiry.year) == (9, 2030)


def test_a_form_without_a_sense_key_is_valid() -> None:
    assert parse_form(json.dumps(form_fields(sense_key=None)).encode()).sense_key is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"card_number": "4000002760003185"}, "card_number", "is not a valid card number"),
        ({"card_number": "4000"}, "card_number", "is not a valid card number"),
        ({"cvv": "12"}, "cvv", "must be 3 or 4 digits"),
        ({"expiry": "0930"}, "expiry", "must be MM/YY"),
        ({"expiry": "13/30"}, "expiry.month", "Input should be less than or equal to 12"),
        ({"amount": "1.999"}, "amount", "has more decimals than the currency allows"),
        ({"amount": "0"}, "amount", "Input should be greater than 0"),
        ({"currency": "XXY"}, "currency", "is not an ISO 4217 currency code"),
        (
            {"email": "jane"},
            "email",
            "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'",
        ),
        ({"country_code": "usa"}, "country_code", "String should match pattern '^[A-Z]{2}$'"),
    ],
)
def test_each_invalid_field_is_named_with_its_problem(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    assert errors_for(**overrides) == {field: [message]}


def test_missing_fields_are_each_reported() -> None:
    fields = form_fields()
    del fields["card_number"], fields["cvv"]
    with pytest.raises(InvalidCheckout) as caught:
        parse_form(json.dumps(fields).encode())
    assert caught.value.errors == {"card_number": ["Field required"], "cvv": ["Field required"]}


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff", b"[1]"])
def test_a_body_that_is_no_json_object_is_refused(raw: bytes) -> None:
    with pytest.raises(InvalidCheckout):
        parse_form(raw)


@pytest.mark.parametrize(
    "overrides",
    [
        {"card_number": CARD + "9"},  # too long to be a card number, still carries it
        {"card_number": int(CARD)},
        {"cvv": CARD},
        {"expiry": CARD},
        {"amount": CARD + ".001"},
        {"email": CARD},
        {"zipcode": CARD * 2},
        {"first_name": "", "card_number": f"{CARD[:8]} x {CARD[8:]}"},
    ],
)
def test_validation_errors_never_echo_the_card_number_or_cvv(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidCheckout) as caught:
        parse_form(json.dumps(form_fields(**overrides)).encode())
    for text in (str(caught.value), repr(caught.value), json.dumps(caught.value.errors)):
        assert CARD not in text
        assert CARD[:8] not in text
        assert CVV not in text


def test_an_unknown_key_is_ignored_rather_than_named_in_an_error() -> None:
    # Naming it would echo it, and the key could be a card number.
    form = parse_form(json.dumps(form_fields() | {CARD: "x"}).encode())
    assert form.last4 == "3184"


def test_pydantic_errors_themselves_hide_the_input() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        CheckoutForm.model_validate(form_fields(cvv=CARD))
    assert CARD not in str(caught.value)


def test_repr_shows_neither_card_number_nor_cvv() -> None:
    form = parse_form(json.dumps(form_fields()).encode())
    for text in (repr(form), str(form), form.model_dump_json()):
        assert CARD not in text
        assert f"'{CVV}'" not in text
