"""The simulated PSP declines the documented test cards, expired cards and .51 amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from consumer.checkout.authorization import AuthorizationRequest
from consumer.checkout.simulated_psp import SimulatedPsp, brand

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def a_request(card: str = "4000002760003184", **overrides: Any) -> AuthorizationRequest:
    fields: dict[str, Any] = {
        "card_number": SecretStr(card), "cvv": SecretStr("123"), "expiry_month": 9,
        "expiry_year": 2030, "holder_name": "Jane Doe", "zipcode": "73301",
        "country_code": "CA", "amount_minor": 4999, "currency": "USD",
    }  # fmt: skip
    return AuthorizationRequest.model_validate(fields | overrides)


def psp(decline_cents: str | None = "51") -> SimulatedPsp:
    return SimulatedPsp(latency_seconds=0, decline_cents=decline_cents, clock=lambda: NOW)


async def test_an_ordinary_card_is_approved_with_what_the_psp_knows() -> None:
    answer = await psp().authorize(a_request())
    assert answer.approved
    assert (answer.response_code, answer.description) == ("00", "Approved")
    assert (answer.brand, answer.card_country, answer.psp_name) == ("VISA", "CA", "simulated")
    assert answer.answered_at == NOW
    assert answer.transaction_id.startswith("sim_")


@pytest.mark.parametrize(
    ("card", "code"),
    [("4000000000000002", "05"), ("4000000000009995", "51"), ("4000000000000069", "54")],
)
async def test_test_cards_are_declined_with_their_code(card: str, code: str) -> None:
    answer = await psp().authorize(a_request(card))
    assert (answer.approved, answer.response_code) == (False, code)


async def test_a_card_expired_before_this_month_is_declined() -> None:
    assert (await psp().authorize(a_request(expiry_month=5, expiry_year=2026))).approved
    answer = await psp().authorize(a_request(expiry_month=4, expiry_year=2026))
    assert (answer.approved, answer.response_code) == (False, "54")


async def test_amounts_ending_in_the_configured_cents_are_declined() -> None:
    answer = await psp().authorize(a_request(amount_minor=1051))
    assert (answer.approved, answer.response_code) == (False, "51")
    assert (await psp(decline_cents="13").authorize(a_request(amount_minor=1051))).approved
    assert (await psp(decline_cents=None).authorize(a_request(amount_minor=1051))).approved


async def test_each_authorization_gets_its_own_transaction_id() -> None:
    first, second = await psp().authorize(a_request()), await psp().authorize(a_request())
    assert first.transaction_id != second.transaction_id


@pytest.mark.parametrize(
    ("card", "name"),
    [("4111", "VISA"), ("5100", "MASTERCARD"), ("2221", "MASTERCARD"), ("3400", "AMEX"),
     ("3700", "AMEX"), ("6011", "DISCOVER"), ("9999", "UNKNOWN")],
)  # fmt: skip
def test_brand_comes_from_the_leading_digits(card: str, name: str) -> None:
    assert brand(card) == name
