"""Flex's request bodies, with the API's exact names and casing on the wire (contract §1-§6).

Python attributes are snake_case; the wire names come from ``to_camel`` unless the API spells
a name otherwise (``AppKey``, ``isMIT``), in which case the alias is explicit. Bodies are
serialised by ``consumer.flex.wire.encode``: aliases, no nulls, exact decimals. These models are
Flex's contract, kept apart from ours in ``consumer/events.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    computed_field,
    field_serializer,
)
from pydantic.alias_generators import to_camel

from consumer.events import derive_id, looks_like_pan


def evaluate_idempotency_key(transaction_id: str, generation: int = 0) -> UUID:
    """The /evaluate idempotencyKey for a PSP transaction: the same after any retry or crash.

    ``generation`` moves on only after Flex refused an attempt for good (a 400: no order
    exists), so a corrected record can be submitted without Flex answering 409.
    """
    if generation == 0:
        return derive_id(transaction_id, "flex-evaluate")
    return derive_id(transaction_id, "flex-evaluate", str(generation))


def _vault_token(value: str) -> str:
    if looks_like_pan(value):
        raise ValueError("looks like a card number; send the Flex vault token instead")
    return value


VaultToken = Annotated[str, Field(min_length=1), AfterValidator(_vault_token)]


class WireModel(BaseModel):
    """A request body (or part of one): camelCase on the wire, refuses unknown attributes."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        extra="forbid",
    )


class TokenRequest(WireModel):
    """``POST /v1/oauth2/token``: the API key and secret, PascalCase as documented."""

    app_key: SecretStr = Field(alias="AppKey")
    app_secret: SecretStr = Field(alias="AppSecret")

    @field_serializer("app_key", "app_secret")
    def _reveal(self, value: SecretStr) -> str:
        return value.get_secret_value()


class Transaction(WireModel):
    """The PSP transaction that declined (evaluate) or went through (transmit); amount in cents."""

    id: str
    timestamp_utc: AwareDatetime
    timezone_utc_offset: int = 0
    amount: Annotated[int, Field(ge=0)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    response_code: str
    response_code_source: str
    avs_result_code: str = "NA"
    cvv_result_code: str = "NA"
    cavv_result_code: str = "NA"
    card_not_present: bool = True
    response_description: str | None = None
    response_status: str | None = None
    response_sub_status: str | None = None
    processor_name: str | None = None
    transaction_type: str | None = None
    dynamic_descriptor: str | None = None


class Payer(WireModel):
    """The cardholder."""

    email: str
    id: str | None = None
    phone: str | None = None
    birthdate: date | None = None


class Address(WireModel):
    """``billingInformation`` / ``shippingInformation``."""

    first_name: str
    last_name: str
    country: str
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    address_line1: str
    city: str
    zipcode: str
    address_line2: str | None = None
    state: str | None = None
    phone: str | None = None


class CardMetadata(WireModel):
    """``paymentMethod`` without the card: what /transmit carries."""

    holder_name: str
    card_type: str
    card_brand: str
    card_country: str
    expiration_month: Annotated[int, Field(ge=1, le=12)]
    expiration_year: int
    card_bin_number: Annotated[str, Field(pattern=r"^[0-9]{6,8}$")]
    card_last4_digits: Annotated[str, Field(pattern=r"^[0-9]{4}$")]
    card_issuer: str | None = None
    card_level: str | None = None
    card_fingerprint: str | None = None


class PaymentMethod(CardMetadata):
    """``paymentMethod`` for /evaluate: ``cardNumber`` is the /tokenize vault token, never a PAN."""

    card_number: VaultToken


class Merchant(WireModel):
    """The sub-merchant, for partners."""

    id: str | None = None
    name: str | None = None
    mcc: int | None = None
    country: str | None = None


class OrderItem(WireModel):
    """One line of the order; amounts in cents."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    amount: int | None = None
    discount_amount: int | None = None
    tax: int | None = None
    discount_type: str | None = None
    quantity: int | None = None


class AdditionalField(WireModel):
    """A free key/value pair."""

    key: str
    value: str


class Subscription(WireModel):
    """The subscription an MIT renews; ``price`` is text in major units, as documented."""

    subscription_id: str
    interval: str
    price: str
    currency: str
    payment_number: str | None = None
    total_payments: str | None = None


class OrderPayload(WireModel):
    """What /evaluate and /transmit share. ``mid``/``siteId`` default to the client's settings."""

    order_id: str
    transaction: Transaction
    payer: Payer
    mid: str | None = None
    order_source: str | None = None
    is_mit: bool | None = Field(default=None, alias="isMIT")
    is_recurring: bool | None = None
    subscription: Subscription | None = None
    billing_information: Address | None = None
    shipping_information: Address | None = None
    merchant: Merchant | None = None
    order_items: list[OrderItem] | None = None
    additional_fields: list[AdditionalField] | None = None


class EvaluateRequest(OrderPayload):
    """``POST /v1/evaluate``: hand a declined transaction to Flex."""

    payment_method: PaymentMethod
    is_declined: Literal[True] = True
    site_id: str | None = None
    site_url: str | None = None
    customer_ip: str | None = None
    transaction_type: Literal["AUTHORIZATION", "PURCHASE"] | None = None
    sense_key: str | None = None
    expiry_date_utc: AwareDatetime | None = None
    correlation_id: str | None = None
    # Not sent: selects the idempotency key (see evaluate_idempotency_key).
    generation: Annotated[int, Field(ge=0, exclude=True)] = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def idempotency_key(self) -> UUID:
        """Derived from the PSP transaction id, so no retry can create a second order."""
        return evaluate_idempotency_key(self.transaction.id, self.generation)


class TransmitRequest(OrderPayload):
    """``POST /v1/transmit``: a copy of a processed (approved) transaction; no card token."""

    payment_method: CardMetadata
    is_declined: bool = False
    sequence_number: str | None = None


class RefundRequest(WireModel):
    """``POST /v1/orders/{id}/refund``: the amount in MAJOR units, as an exact decimal."""

    amount_to_refund: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    refund_message: str | None = None


class CancelRequest(WireModel):
    """``POST /v1/orders/{id}/cancel`` and ``/external-cancel``: ``{}`` or an idempotency key."""

    idempotency_key: UUID | None = None


class OutcomeRequest(WireModel):
    """``POST /v1/outcome`` (deprecated): which order to report on."""

    order_session_key: str
