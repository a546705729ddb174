"""Our payment events translated into Flex's request bodies (the one place the two meet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consumer.events import Address, PaymentApproved, PaymentDeclined, PaymentEvent
from consumer.flex import models as flex
from consumer.money import to_major


def evaluate_request(
    declined: PaymentDeclined, expires_at: datetime, generation: int
) -> flex.EvaluateRequest:
    """A managed-MIT /evaluate; every field derives from the event, so retries send equal bodies."""
    assert declined.card.token is not None  # eligibility refuses declines without a token
    return flex.EvaluateRequest(
        **_order_fields(declined),
        payment_method=flex.PaymentMethod(
            **_card_fields(declined), card_number=declined.card.token
        ),
        customer_ip=declined.customer_ip,
        sense_key=declined.sense_key,
        expiry_date_utc=expires_at,
        transaction_type="PURCHASE",
        generation=generation,
    )


def transmit_request(approved: PaymentApproved) -> flex.TransmitRequest:
    """A copy of an approved charge for Flex's risk model; card metadata only, no token."""
    return flex.TransmitRequest(
        **_order_fields(approved), payment_method=flex.CardMetadata(**_card_fields(approved))
    )


def _order_fields(event: PaymentEvent) -> dict[str, Any]:
    decline = event.decline if isinstance(event, PaymentDeclined) else None
    return {
        "order_id": event.merchant_order_id,
        "order_source": event.order_source,
        "is_mit": event.is_mit,
        "is_recurring": event.is_recurring,
        "subscription": _subscription(event),
        "payer": flex.Payer(email=event.payer.email, id=event.payer.id, phone=event.payer.phone),
        "billing_information": _address(event.billing_address),
        "transaction": flex.Transaction(
            id=event.transaction_id,
            timestamp_utc=event.occurred_at,
            amount=event.amount_minor,
            currency=event.currency,
            response_code=decline.code if decline else "00",
            response_code_source=decline.source if decline else (event.psp_name or "psp"),
            response_description=decline.description if decline else None,
            response_status="DECLINED" if decline else "APPROVED",
            avs_result_code=event.checks.avs,
            cvv_result_code=event.checks.cvv,
            cavv_result_code=event.checks.cavv,
            processor_name=event.psp_name,
        ),
    }


def _card_fields(event: PaymentEvent) -> dict[str, Any]:
    card = event.card
    return {
        "holder_name": card.holder_name,
        "card_type": card.funding,
        "card_brand": card.brand,
        "card_country": card.country,
        "expiration_month": card.expiry_month,
        "expiration_year": card.expiry_year,
        "card_bin_number": card.bin,
        "card_last4_digits": card.last4,
    }


def _subscription(event: PaymentEvent) -> flex.Subscription | None:
    sub = event.subscription
    if sub is None:
        return None
    return flex.Subscription(
        subscription_id=sub.subscription_id,
        interval=sub.interval,
        price=str(to_major(sub.price_minor, sub.currency)),
        currency=sub.currency,
        payment_number=None if sub.payment_number is None else str(sub.payment_number),
        total_payments=None if sub.total_payments is None else str(sub.total_payments),
    )


def _address(address: Address) -> flex.Address:
    return flex.Address(
        first_name=address.first_name,
        last_name=address.last_name,
        country=address.country_code,
        country_code=address.country_code,
        address_line1=address.address_line1,
        address_line2=address.address_line2,
        city=address.city,
        state=address.state,
        zipcode=address.zipcode,
        phone=address.phone,
    )
