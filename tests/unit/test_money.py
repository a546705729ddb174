"""Minor and major units convert exactly, by each currency's exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumer import money


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (1234, "USD", Decimal("12.34")),
        (1200, "EUR", Decimal("12.00")),
        (1, "USD", Decimal("0.01")),
        (1234, "JPY", Decimal("1234")),
        (1234, "KWD", Decimal("1.234")),
        (10, "BHD", Decimal("0.010")),
    ],
)
def test_minor_to_major_and_back(minor: int, currency: str, major: Decimal) -> None:
    converted = money.to_major(minor, currency)
    assert converted == major
    assert str(converted) == str(major)
    assert money.to_minor(converted, currency) == minor


def test_amount_finer_than_the_minor_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="more decimals than JPY allows"):
        money.to_minor(Decimal("12.5"), "JPY")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ISO 4217"):
        money.exponent("XXX1")
