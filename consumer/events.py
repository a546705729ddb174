"""Our Kafka contract, version 1: the events and commands this service reads and writes.

This module is the source of ``schemas/`` (``flexmit schemas``). It is deliberately separate from
``flex/models.py``: a change on Flex's side must never silently change what we publish.

Card data appears only as a Flex vault token, the BIN and the last four digits; a token that
looks like a card number is refused at decoding, so a PAN cannot travel further than the input.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from consumer.errors import InvalidEvent
from consumer.money import ISO_4217_CODES

SCHEMA_VERSION: Literal[1] = 1

# Namespace of every deterministic id we derive (event ids, Flex idempotency keys).
FLEXMIT_NAMESPACE = uuid.UUID("5d2c7f0e-8a4b-4f1e-9c3d-6b7a8e9f0a1b")


def derive_id(*parts: str) -> uuid.UUID:
    """A stable UUID from its parts, so a retry after a crash reproduces the same id."""
    return uuid.uuid5(FLEXMIT_NAMESPACE, "\x1f".join(parts))


def looks_like_pan(value: str) -> bool:
    """True for 13-19 digits that pass the Luhn check, i.e. something that may be a card number."""
    digits = value.replace(" ", "").replace("-", "")
    if not (digits.isdigit() and 13 <= len(digits) <= 19):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _not_a_pan(value: str) -> str:
    if looks_like_pan(value):
        raise ValueError("looks like a card number; send the Flex vault token instead")
    return value


def _known_currency(value: str) -> str:
    if value not in ISO_4217_CODES:
        raise ValueError("is not an ISO 4217 currency code")
    return value


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_known_currency)]
MinorUnits = Annotated[int, Field(gt=0, description="Amount in the currency's minor unit")]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Text = Annotated[str, Field(max_length=512)]
CardToken = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_not_a_pan)]


class Model(BaseModel):
    """Base of our contract: immutable; unknown fields ignored so producers can evolve first."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


class Payer(Model):
    """The subscriber who is charged."""

    email: Annotated[str, Field(min_length=3, max_length=254)]
    id: Identifier | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None


class Address(Model):
    """Billing address as Flex needs it."""

    first_name: Text
    last_name: Text
    address_line1: Text
    address_line2: Text | None = None
    city: Text
    state: Text | None = None
    zipcode: Annotated[str, Field(max_length=16)]
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    phone: Annotated[str, Field(max_length=32)] | None = None


class Card(Model):
    """The card, as a Flex vault token and non-sensitive metadata; never a number or a CVV."""

    token: CardToken | None = Field(
        default=None, description="Flex vault token from POST /v1/tokenize at checkout"
    )
    bin: Annotated[str, Field(pattern=r"^[0-9]{6,8}$")]
    last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")]
    expiry_month: Annotated[int, Field(ge=1, le=12)]
    expiry_year: Annotated[int, Field(ge=2000, le=2100)]
    brand: Annotated[str, Field(max_length=32, examples=["VISA", "MASTERCARD"])]
    funding: Literal["CREDIT", "DEBIT", "PREPAID"] = "CREDIT"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    holder_name: Text


class Subscription(Model):
    """The subscription a recurring MIT renews."""

    subscription_id: Identifier
    interval: Annotated[str, Field(max_length=32, examples=["monthly", "yearly"])]
    price_minor: MinorUnits
    currency: Currency
    payment_number: Annotated[int, Field(ge=1)] | None = None
    total_payments: Annotated[int, Field(ge=1)] | None = None


class Decline(Model):
    """What the PSP answered when the charge failed."""

    code: Annotated[str, Field(min_length=1, max_length=32, examples=["05", "51"])]
    source: Annotated[str, Field(max_length=64, examples=["nmi", "stripe"])]
    description: Text | None = None
    merchant_advice_code: Annotated[str, Field(pattern=r"^[0-9]{2}$")] | None = Field(
        default=None, description="Mastercard Merchant Advice Code, when the network sent one"
    )


class CardChecks(Model):
    """AVS, CVV and CAVV result codes from the PSP ('NA' when unknown)."""

    avs: Annotated[str, Field(max_length=8)] = "NA"
    cvv: Annotated[str, Field(max_length=8)] = "NA"
    cavv: Annotated[str, Field(max_length=8)] = "NA"


class PaymentEvent(Model):
    """Fields shared by approved and declined payments."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: Identifier = Field(description="Producer's id of this record (not used for dedup)")
    transaction_id: Identifier = Field(description="PSP transaction id; the idempotency key")
    merchant_order_id: Identifier
    occurred_at: AwareDatetime = Field(description="When the PSP answered")
    amount_minor: MinorUnits
    currency: Currency
    is_mit: bool = Field(description="Merchant-initiated (a renewal), not customer-initiated")
    is_recurring: bool = False
    subscription: Subscription | None = None
    payer: Payer
    billing_address: Address
    card: Card
    checks: CardChecks = CardChecks()
    sense_key: Annotated[str, Field(max_length=128)] | None = None
    customer_ip: Annotated[str, Field(max_length=45)] | None = None
    psp_name: Annotated[str, Field(max_length=64)] | None = None
    order_source: Annotated[str, Field(max_length=32)] | None = None


class PaymentApproved(PaymentEvent):
    """A charge the PSP approved; copied to Flex with /transmit."""

    event_type: Literal["payment.approved"] = "payment.approved"


class PaymentDeclined(PaymentEvent):
    """A charge the PSP declined; a just-failed MIT is handed to Flex with /evaluate."""

    event_type: Literal["payment.declined"] = "payment.declined"
    decline: Decline


class OrderStatus(StrEnum):
    """Statuses downstream systems (billing, dunning, CRM) act on."""

    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CHALLENGE = "CHALLENGE"
    CAPTURE_REQUIRED = "CAPTURE_REQUIRED"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    NOT_SUBMITTED = "NOT_SUBMITTED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUND_FAILED = "REFUND_FAILED"
    CANCEL_FAILED = "CANCEL_FAILED"
    CHARGEBACK = "CHARGEBACK"


class StatusSource(StrEnum):
    """Which part of the service decided a status."""

    WORKER = "worker"
    WEBHOOK = "webhook"
    RECONCILER = "reconciler"
    COMMAND = "command"


class OrderStatusChanged(Model):
    """A status of a declined payment's rescue, published on ``order-status``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_type: Literal["order.status_changed"] = "order.status_changed"
    event_id: uuid.UUID = Field(
        description="Deterministic: the same cause always yields the same id; dedupe on it"
    )
    causation_id: Identifier = Field(
        description="What caused it: the transaction id, a command id, or a Flex webhook id"
    )
    transaction_id: Identifier
    merchant_order_id: Identifier | None = Field(
        description="Absent only on FAILED for a record too broken to read it from"
    )
    order_session_key: Identifier | None = Field(
        default=None, description="Flex's orderSessionKey, once Flex holds the order"
    )
    status: OrderStatus
    sequence: Annotated[int, Field(ge=0)] = Field(
        default=0,
        description=(
            "Position in the transaction's status history (1 = first). Apply an event only if "
            "its sequence is higher than the last applied for the transaction: two processes "
            "publish statuses (worker, webhook receiver), so a stale event can follow a newer "
            "one on the topic. 0: a record we could not read, outside any history."
        ),
    )
    reason_code: Annotated[str, Field(max_length=64)] | None = None
    reason: Text | None = None
    do_not_retry_until: AwareDatetime | None = Field(
        default=None, description="Dunning must not retry the charge before this instant"
    )
    expires_at: AwareDatetime | None = None
    amount_minor: MinorUnits | None = Field(description="Absent only as merchant_order_id is")
    currency: Currency | None = Field(description="Absent only as merchant_order_id is")
    refunded_minor: Annotated[int, Field(ge=0)] | None = None
    remaining_minor: Annotated[int, Field(ge=0)] | None = None
    flex_code: Annotated[str, Field(max_length=64)] | None = None
    flex_message: Text | None = None
    source: StatusSource
    occurred_at: AwareDatetime


class RefundRequested(Model):
    """Refund a rescued payment, fully (no amount) or partially."""

    schema_version: Literal[1] = SCHEMA_VERSION
    command_type: Literal["refund"] = "refund"
    command_id: Identifier = Field(description="Idempotency key of the command")
    transaction_id: Identifier
    amount_minor: MinorUnits | None = Field(default=None, description="Omitted: refund the rest")
    reason: Text | None = None
    requested_at: AwareDatetime


class CancelRequested(Model):
    """Cancel a rescue Flex still holds (for example, the subscriber cancelled)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    command_type: Literal["cancel"] = "cancel"
    command_id: Identifier = Field(description="Idempotency key of the command")
    transaction_id: Identifier
    reason: Text | None = None
    requested_at: AwareDatetime


FlexCommand = Annotated[RefundRequested | CancelRequested, Field(discriminator="command_type")]


class FlexNotification(Model):
    """A verified Flex webhook we do not map to a status, republished as received."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event_type: Literal["flex.notification"] = "flex.notification"
    event_id: uuid.UUID
    flex_event: Annotated[str, Field(max_length=64, examples=["payout.created"])]
    flex_order_id: Identifier | None = None
    external_order_id: Identifier | None = None
    transaction_id: Identifier | None = None
    flex_timestamp: datetime | None = None
    is_test_mode: bool = False
    event_data: dict[str, object] | None = None
    received_at: AwareDatetime


M = TypeVar("M", bound=BaseModel)

_COMMAND_ADAPTER: TypeAdapter[RefundRequested | CancelRequested] = TypeAdapter(FlexCommand)


def decode(model: type[M], raw: bytes | None) -> M:
    """Decode one record value into ``model`` or raise InvalidEvent with a readable reason."""
    if raw is None:
        raise InvalidEvent("record has no value")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(describe(exc)) from None


def decode_command(raw: bytes | None) -> RefundRequested | CancelRequested:
    """Decode a record of the commands topic."""
    if raw is None:
        raise InvalidEvent("record has no value")
    try:
        return _COMMAND_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Field paths and messages, without the offending values (they may be card data)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        path = ".".join(str(part) for part in error["loc"]) or "<record>"
        problems.append(f"{path}: {error['msg']}")
    return "; ".join(problems)[:2000]
