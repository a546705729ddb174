"""Valid events for tests; override any field by keyword."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from consumer import events


def _payment_fields(transaction_id: str | None) -> dict[str, Any]:
    tx = transaction_id or f"tx-{uuid.uuid4().hex[:12]}"
    return {
        "event_id": str(uuid.uuid4()),
        "transaction_id": tx,
        "merchant_order_id": f"ord-{tx}",
        "occurred_at": datetime.now(UTC),
        "amount_minor": 4999,
        "currency": "USD",
        "is_mit": True,
        "is_recurring": True,
        "subscription": events.Subscription(
            subscription_id=f"sub-{tx}", interval="monthly", price_minor=4999, currency="USD",
            payment_number=4,
        ),
        "payer": events.Payer(email="jane@example.com", phone="+15550100"),
        "billing_address": events.Address(
            first_name="Jane", last_name="Doe", address_line1="1 Main St", city="Austin",
            state="TX", zipcode="73301", country_code="US",
        ),
        "card": events.Card(
            token=str(uuid.uuid4()), bin="400000", last4="3184", expiry_month=9,
            expiry_year=2030, brand="VISA", country="US", holder_name="Jane Doe",
        ),
        "checks": events.CardChecks(avs="Y", cvv="M"),
        "sense_key": str(uuid.uuid4()),
        "psp_name": "nmi",
    }  # fmt: skip


def declined(transaction_id: str | None = None, **overrides: Any) -> events.PaymentDeclined:
    """A just-failed recurring MIT with a vaulted card: eligible for Flex."""
    fields = _payment_fields(transaction_id)
    fields["decline"] = events.Decline(code="05", source="nmi", description="Do not honor")
    return events.PaymentDeclined(**(fields | overrides))


def approved(transaction_id: str | None = None, **overrides: Any) -> events.PaymentApproved:
    """An approved recurring MIT."""
    return events.PaymentApproved(**(_payment_fields(transaction_id) | overrides))
