"""The seam to the merchant's PSP: one card authorization, asked and answered.

The checkout calls an ``Authorizer``; the example ships a simulated one (``simulated_psp``), a
merchant plugs in their PSP's client. The request carries the card number and CVV because a
PSP needs them; both are ``SecretStr`` and the answer carries neither.
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from consumer.errors import TransientError


class AuthorizationUnavailable(TransientError):
    """The PSP could not be reached or did not answer; nothing is known about the charge."""


class AuthorizationRequest(BaseModel):
    """A customer-initiated charge of a card."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    card_number: SecretStr
    cvv: SecretStr
    expiry_month: int
    expiry_year: int
    holder_name: str
    zipcode: str
    country_code: str
    amount_minor: int
    currency: str


class Authorization(BaseModel):
    """The PSP's answer: approved or declined with a code, and what it knows about the card."""

    model_config = ConfigDict(frozen=True)

    approved: bool
    transaction_id: Annotated[str, Field(min_length=1, max_length=128)]
    response_code: str = Field(examples=["00", "05", "51"])
    description: str
    psp_name: str
    brand: str = Field(examples=["VISA", "MASTERCARD"])
    funding: Literal["CREDIT", "DEBIT", "PREPAID"] = "CREDIT"
    card_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    avs: str = "NA"
    cvv: str = "NA"
    answered_at: AwareDatetime


class Authorizer(Protocol):
    """Anything that can authorize a charge (the PSP's client)."""

    async def authorize(self, request: AuthorizationRequest) -> Authorization:
        """Approve or decline; AuthorizationUnavailable when there is no answer."""
        ...
