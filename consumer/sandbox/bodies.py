"""Request bodies of the simulated endpoints, written from the contract (§1-§6), not the client.

Required fields are the ones the contract marks R and the sandbox is known to enforce; the
rest are optional so that clients sending less (as ActiveMerchant does) still pass.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
)

from consumer.sandbox.binding import Body

Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MaybeText = Annotated[str, StringConstraints(strip_whitespace=True)] | None


def _card_digits(value: str) -> str:
    digits = value.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and 12 <= len(digits) <= 19):
        raise ValueError("not a card number")
    return digits


CardDigits = Annotated[str, AfterValidator(_card_digits)]


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _utc(value: datetime) -> datetime:
    # A date without an offset is read as UTC, as the API documents every date as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class TokenRequest(Body):
    """POST /oauth2/token."""

    app_key: Required
    app_secret: Required


class CreditCard(Body):
    """``payment_method.credit_card`` (or the older ``creditCard``) of /tokenize."""

    first_name: Required
    last_name: Required
    number: CardDigits
    verification_value: MaybeText = None
    month: Annotated[int, Field(ge=1, le=12)]
    year: Annotated[int, Field(ge=2000, le=2100)]


class VaultPaymentMethod(Body):
    """``payment_method`` of /tokenize."""

    credit_card: CreditCard
    email: MaybeText = None
    sense_key: MaybeText = None


class TokenizeRequest(Body):
    """POST /tokenize."""

    payment_method: VaultPaymentMethod


class Transaction(Body):
    """``transaction`` of /evaluate and /transmit (§4.2.2)."""

    id: Required
    amount: int
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
    response_code: Required
    response_code_source: Required
    avs_result_code: Required
    cvv_result_code: Required
    cavv_result_code: Required
    timestamp_utc: UtcDateTime | None = None
    response_description: MaybeText = None


class Payer(Body):
    """``payer`` (§4.2.3)."""

    email: Required
    phone: MaybeText = None


class Address(Body):
    """``billingInformation`` / ``shippingInformation`` (§4.2.4)."""

    first_name: Required
    last_name: Required
    country: Required
    country_code: Required
    address_line1: Required
    city: Required
    zipcode: Required
    state: MaybeText = None
    phone: MaybeText = None


class PaymentMethod(Body):
    """``paymentMethod`` of /evaluate (§4.2.5); ``cardNumber`` carries the vault token."""

    card_number: Required
    holder_name: MaybeText = None
    card_brand: MaybeText = None
    card_bin_number: MaybeText = None
    card_last4_digits: MaybeText = None
    expiration_month: int | None = None
    expiration_year: int | None = None


class TransmitPaymentMethod(Body):
    """``paymentMethod`` of /transmit: BIN, last four and expiry only."""

    card_number: MaybeText = None
    card_bin_number: MaybeText = None
    card_last4_digits: MaybeText = None


class Subscription(Body):
    """``subscription`` (§4.2.8); ``price`` is a string on the wire."""

    subscription_id: Required
    interval: Required
    price: Required
    currency: Required


class EvaluateRequest(Body):
    """POST /evaluate (§4.1)."""

    required_messages: ClassVar[dict[str, str]] = {"OrderId": "Merchant's orderId is required"}

    is_declined: StrictBool
    order_id: Required
    idempotency_key: uuid.UUID
    mid: Required
    site_id: MaybeText = None
    site_url: MaybeText = None
    customer_ip: MaybeText = None
    transaction_type: Annotated[Literal["AUTHORIZATION", "PURCHASE"], BeforeValidator(_upper)] = (
        "PURCHASE"
    )
    sense_key: MaybeText = None
    is_mit: StrictBool = False
    is_recurring: StrictBool = False
    expiry_date_utc: UtcDateTime | None = None
    correlation_id: MaybeText = None
    transaction: Transaction
    payer: Payer
    payment_method: PaymentMethod
    billing_information: Address
    subscription: Subscription | None = None


class TransmitRequest(Body):
    """POST /transmit (§3)."""

    required_messages: ClassVar[dict[str, str]] = {"OrderId": "Merchant's orderId is required"}

    is_declined: StrictBool
    order_id: Required
    mid: MaybeText = None
    is_mit: StrictBool = False
    transaction: Transaction
    payer: Payer
    payment_method: TransmitPaymentMethod


class RefundRequest(Body):
    """POST /orders/{id}/refund (§6.2); the amount is in major units (dollars)."""

    amount_to_refund: Annotated[Decimal, Field(gt=0)]
    refund_message: MaybeText = None


class CancelRequest(Body):
    """POST /orders/{id}/cancel and /external-cancel (§6.3); the body may be empty."""

    idempotency_key: uuid.UUID | None = None


class CaptureRequest(Body):
    """POST /capture (§6.1)."""

    idempotency_key: uuid.UUID
    order_id: Required
    amount: int
    currency: Required


class OutcomeRequest(Body):
    """POST /outcome (§5.1, deprecated)."""

    order_session_key: Required
