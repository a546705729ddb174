"""What the checkout page posts, validated; the card number and CVV held as ``SecretStr``.

The number and CVV live only in a ``CheckoutForm`` of one request: they print as ``**********``
in a repr, and validation errors never carry the input (``hide_input_in_errors``, and the
messages we write name the field, never its value). Unknown keys are ignored rather than
refused, because "extra field" errors would echo the key, and a key could be a card number.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from consumer.errors import PermanentError
from consumer.events import looks_like_pan
from consumer.money import ISO_4217_CODES, to_minor

FieldErrors = dict[str, list[str]]

_EXPIRY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2}|\d{4})$")


class InvalidCheckout(PermanentError):
    """The posted form does not validate; ``errors`` maps each field to its problems."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__("invalid checkout form: " + ", ".join(sorted(errors)))
        self.errors = errors


def _card_number(value: SecretStr) -> SecretStr:
    digits = re.sub(r"[ -]", "", value.get_secret_value())
    if not looks_like_pan(digits):
        raise ValueError("is not a valid card number")
    return SecretStr(digits)


def _cvv(value: SecretStr) -> SecretStr:
    if not re.fullmatch(r"[0-9]{3,4}", value.get_secret_value()):
        raise ValueError("must be 3 or 4 digits")
    return value


def _expiry(value: object) -> object:
    match = _EXPIRY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be MM/YY")
    month, year = int(match.group(1)), int(match.group(2))
    return {"month": month, "year": year + 2000 if year < 100 else year}


def _currency(value: str) -> str:
    if value not in ISO_4217_CODES:
        raise ValueError("is not an ISO 4217 currency code")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Expiry(BaseModel):
    """A card's expiry month and four-digit year."""

    model_config = ConfigDict(frozen=True)

    month: Annotated[int, Field(ge=1, le=12)]
    year: Annotated[int, Field(ge=2000, le=2099)]


class CheckoutForm(BaseModel):
    """One checkout as the page sends it (JSON, snake_case keys)."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", str_strip_whitespace=True, hide_input_in_errors=True
    )

    first_name: Name
    last_name: Name
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    address_line1: Line
    city: Line
    zipcode: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    card_number: Annotated[SecretStr, AfterValidator(_card_number)]
    expiry: Annotated[Expiry, BeforeValidator(_expiry)]
    cvv: Annotated[SecretStr, AfterValidator(_cvv)]
    # Before the amount, whose validator reads it.
    currency: Annotated[str, AfterValidator(_currency)]
    amount: Annotated[Decimal, Field(gt=0, max_digits=12)]
    sense_key: Annotated[str, StringConstraints(max_length=128)] | None = None

    @field_validator("amount")
    @classmethod
    def _fits_the_currency(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        currency = info.data.get("currency")
        if currency is not None:
            try:
                to_minor(value, currency)
            except ValueError:
                raise ValueError("has more decimals than the currency allows") from None
        return value

    @property
    def amount_minor(self) -> int:
        """The amount in the currency's minor unit."""
        return to_minor(self.amount, self.currency)

    @property
    def bin(self) -> str:
        """The first six digits of the card number, which may be shown and stored."""
        return self.card_number.get_secret_value()[:6]

    @property
    def last4(self) -> str:
        """The last four digits of the card number."""
        return self.card_number.get_secret_value()[-4:]

    @property
    def holder_name(self) -> str:
        """The cardholder's full name."""
        return f"{self.first_name} {self.last_name}"


def parse_form(raw: bytes) -> CheckoutForm:
    """The form from a JSON body, or InvalidCheckout naming the fields (never their values)."""
    try:
        document: Any = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json allows
        raise InvalidCheckout({"": ["the body must be a JSON object"]}) from None
    try:
        return CheckoutForm.model_validate(document)
    except ValidationError as exc:
        raise InvalidCheckout(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> FieldErrors:
    """Field name to messages; the input values are left out."""
    errors: FieldErrors = {}
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"])
        errors.setdefault(field, []).append(error["msg"].removeprefix("Value error, "))
    return errors
