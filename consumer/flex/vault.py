"""``POST /v1/tokenize``: vault a card at Flex, in the current snake_case body shape (§2).

This is the one request that carries a card number and CVV. Both are ``SecretStr`` so they
never appear in a repr, a log line or an exception; they are revealed only when the body is
serialised. The response's card metadata never includes the number.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer

from consumer.flex.responses import FlexResponse


class _SnakeCase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CreditCard(_SnakeCase):
    """The card to vault; ``month`` is MM and ``year`` YYYY, as text."""

    first_name: str
    last_name: str
    number: SecretStr
    verification_value: SecretStr | None = None
    month: Annotated[str, Field(pattern=r"^(0[1-9]|1[0-2])$")]
    year: Annotated[str, Field(pattern=r"^[0-9]{4}$")]

    @field_serializer("number", "verification_value")
    def _reveal(self, value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()


class VaultPaymentMethod(_SnakeCase):
    """The ``payment_method`` wrapper."""

    credit_card: CreditCard
    email: str | None = None
    sense_key: str | None = None


class TokenizeRequest(_SnakeCase):
    """The /tokenize body."""

    payment_method: VaultPaymentMethod


class VaultedCard(BaseModel):
    """Card metadata Flex returns with the token (``first_six_digits`` may hold 6 or 8)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    token: str | None = None
    first_six_digits: str | None = None
    last_four_digits: str | None = None
    card_type: str | None = None
    month: int | None = None
    year: int | None = None


class VaultTransaction(BaseModel):
    """The Spreedly-style ``transaction`` object around the vaulted card."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    succeeded: bool | None = None
    payment_method: VaultedCard | None = None


class TokenizeResponse(FlexResponse):
    """The /tokenize answer; the token lives at ``transaction.payment_method.token``."""

    transaction: VaultTransaction | None = None

    @property
    def token(self) -> str | None:
        """The vault token to send later as ``paymentMethod.cardNumber``."""
        card = self.transaction.payment_method if self.transaction else None
        return card.token if card else None
