"""Realistic subscription traffic for the demo and the benchmarks, reproducible by seed.

Most renewals are approved. Declined renewals carry the decline codes seen in real recurring
billing (insufficient funds and "do not honor" dominate), a few the networks forbid retrying,
and some Mastercard advice codes. A few declines are customer-initiated, stale (yesterday's)
or lack a vaulted card, and a few records are malformed: the product must refuse those clearly.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from consumer import events

# (code, description, weight) of MIT declines in recurring billing.
DECLINE_CODES: tuple[tuple[str, str, int], ...] = (
    ("51", "Insufficient funds", 34),
    ("05", "Do not honor", 30),
    ("61", "Exceeds withdrawal amount limit", 6),
    ("65", "Exceeds withdrawal frequency limit", 4),
    ("91", "Issuer or switch inoperative", 5),
    ("96", "System malfunction", 2),
    ("54", "Expired card", 6),
    ("14", "Invalid card number", 3),  # networks forbid retrying
    ("41", "Lost card, pick up", 1),  # networks forbid retrying
    ("43", "Stolen card, pick up", 1),  # networks forbid retrying
    ("57", "Transaction not permitted to cardholder", 2),  # networks forbid retrying
)

# (currency, monthly price in minor units) of the demo merchant's plans.
PLANS: tuple[tuple[str, int], ...] = (
    ("USD", 999), ("USD", 1999), ("USD", 4999), ("EUR", 1499), ("GBP", 1299), ("JPY", 1200),
)  # fmt: skip

CARDS: tuple[tuple[str, str, str, str], ...] = (
    ("VISA", "400000", "3184", "US"),  # the contract's rescuable MIT test card
    ("VISA", "400030", "2220", "US"),  # the contract's declined test card
    ("VISA", "424242", "4242", "US"),
    ("MASTERCARD", "510026", "5851", "GB"),
    ("MASTERCARD", "555555", "4444", "DE"),
)


class Kind(StrEnum):
    """What a generated record is, so a run can be accounted for."""

    APPROVED = "approved"
    MIT_DECLINE = "mit_decline"
    CUSTOMER_INITIATED = "customer_initiated"
    STALE = "stale"
    NO_TOKEN = "no_token"  # noqa: S105 - a kind of record, not a credential
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Record:
    """One record to produce."""

    kind: Kind
    topic: str  # "approved" or "declined" (a Topics field name)
    key: str
    value: bytes


@dataclass(frozen=True)
class Mix:
    """Shares of each kind; the rest are MIT declines."""

    approved: float = 0.55
    customer_initiated: float = 0.03
    stale: float = 0.03
    no_token: float = 0.02
    malformed: float = 0.01


def generate(count: int, seed: int, now: datetime, mix: Mix = Mix()) -> Iterator[Record]:
    """``count`` records of subscription renewals, the same for the same seed and time."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    for index in range(count):
        draw = rng.random()
        kind = _kind(draw, mix)
        yield _record(kind, rng, index, now)


def _kind(draw: float, mix: Mix) -> Kind:
    for kind, share in (
        (Kind.APPROVED, mix.approved),
        (Kind.CUSTOMER_INITIATED, mix.customer_initiated),
        (Kind.STALE, mix.stale),
        (Kind.NO_TOKEN, mix.no_token),
        (Kind.MALFORMED, mix.malformed),
    ):
        if draw < share:
            return kind
        draw -= share
    return Kind.MIT_DECLINE


def _record(kind: Kind, rng: random.Random, index: int, now: datetime) -> Record:
    transaction_id = f"demo-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
    if kind is Kind.MALFORMED:
        return Record(kind, "declined", transaction_id, _malformed(index, transaction_id))
    fields = _payment(rng, transaction_id, index, now)
    if kind is Kind.APPROVED:
        return Record(kind, "approved", transaction_id, _json(events.PaymentApproved(**fields)))
    if kind is Kind.CUSTOMER_INITIATED:
        fields |= {"is_mit": False, "is_recurring": False, "subscription": None}
    if kind is Kind.STALE:
        fields["occurred_at"] = now - timedelta(hours=rng.uniform(30, 72))
    if kind is Kind.NO_TOKEN:
        fields["card"] = fields["card"].model_copy(update={"token": None})
    declined = events.PaymentDeclined(**fields, decline=_decline(rng))
    return Record(kind, "declined", transaction_id, _json(declined))


def _payment(rng: random.Random, transaction_id: str, index: int, now: datetime) -> dict[str, Any]:
    currency, price = rng.choice(PLANS)
    brand, bin_, last4, country = rng.choice(CARDS)
    customer = f"cus_{rng.randrange(10**8):08d}"
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "transaction_id": transaction_id,
        "merchant_order_id": f"inv-{index:07d}-{transaction_id[-6:]}",
        "occurred_at": now - timedelta(seconds=rng.uniform(0, 3600)),
        "amount_minor": price,
        "currency": currency,
        "is_mit": True,
        "is_recurring": True,
        "subscription": events.Subscription(
            subscription_id=f"sub_{customer}", interval="monthly", price_minor=price,
            currency=currency, payment_number=rng.randrange(2, 36),
        ),
        "payer": events.Payer(email=f"{customer}@example.com", id=customer),
        "billing_address": events.Address(
            first_name="Alex", last_name=f"Customer{index}", address_line1="1 Main St",
            city="Austin", state="TX", zipcode="73301", country_code=country,
        ),
        "card": events.Card(
            token=str(uuid.UUID(int=rng.getrandbits(128))), bin=bin_, last4=last4,
            expiry_month=rng.randrange(1, 13), expiry_year=now.year + rng.randrange(1, 5),
            brand=brand, country=country, holder_name=f"Alex Customer{index}",
        ),
        "checks": events.CardChecks(avs="Y", cvv="M"),
        "sense_key": str(uuid.UUID(int=rng.getrandbits(128))),
        "psp_name": "demo-psp",
    }  # fmt: skip


def _decline(rng: random.Random) -> events.Decline:
    code, description, _ = rng.choices(DECLINE_CODES, weights=[w for *_, w in DECLINE_CODES])[0]
    # Mastercard sends advice codes with some declines; 21 means "stop recurring payments".
    advice = rng.choices([None, "01", "03", "21"], weights=[90, 6, 2, 2])[0]
    return events.Decline(code=code, source="demo-psp", description=description,
                          merchant_advice_code=advice)  # fmt: skip


def _malformed(index: int, transaction_id: str) -> bytes:
    # Rotated by position, so every kind of damage appears even in a short run.
    variants = [
        b"\x00\x01 not even text",
        b'{"transaction_id": "' + transaction_id.encode() + b'", "amount_minor": "lots"}',
        json.dumps({"merchant_order_id": "inv-missing-transaction"}).encode(),
        b'{"truncated": ',
    ]
    return variants[index % len(variants)]


def _json(event: events.PaymentEvent) -> bytes:
    return event.model_dump_json().encode()
