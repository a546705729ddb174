"""Amounts: orders keep minor units (cents); refunds and messages speak major units (dollars)."""

from __future__ import annotations

from decimal import Decimal

from consumer import money


def exponent(currency: str) -> int:
    """Decimals of ``currency``; an unknown code is taken to have two, as most do."""
    try:
        return money.exponent(currency)
    except ValueError:
        return 2


def major(amount_minor: int, currency: str) -> Decimal:
    """1234 USD -> Decimal('12.34')."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


def text(amount_minor: int, currency: str) -> str:
    """1234 USD -> '12.34', 0 USD -> '0.00'."""
    return format(major(amount_minor, currency), "f")


def minor(amount_major: Decimal, currency: str) -> int | None:
    """Decimal('12.34') USD -> 1234; None when finer than the currency's minor unit."""
    scaled = amount_major.scaleb(exponent(currency))
    return int(scaled) if scaled == scaled.to_integral_value() else None
