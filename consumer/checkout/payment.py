"""One checkout payment: vault the card at Flex while the PSP authorizes it, then publish.

Flex's tokenize "may run in parallel with the PSP authorization" (contract §2), and so it does
here: both calls start together and the customer waits for the slower one, not for the sum.
Vaulting never decides the payment. If Flex cannot vault the card, the payment still goes
through and its event is published without a token (the worker cannot then hand a decline to
Flex, but the approval is still recorded); the reason is logged, never the card.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from consumer.checkout.authorization import Authorization, AuthorizationRequest, Authorizer
from consumer.checkout.form import CheckoutForm
from consumer.checkout.payment_event import PaymentEvent, payment_event
from consumer.checkout.publisher import EventPublisher
from consumer.errors import FlexmitError
from consumer.flex.vault import (
    CreditCard,
    TokenizeRequest,
    TokenizeResponse,
    VaultPaymentMethod,
)

log = logging.getLogger(__name__)


class Vault(Protocol):
    """Where cards are vaulted: ``FlexClient`` (its ``tokenize``)."""

    async def tokenize(self, request: TokenizeRequest) -> TokenizeResponse:
        """``POST /v1/tokenize``."""
        ...


class Receipt(BaseModel):
    """What the customer is told; nothing in it is card data beyond the last four digits."""

    model_config = ConfigDict(frozen=True)

    status: Literal["approved", "declined"]
    order_id: str = Field(serialization_alias="orderId")
    last4: str
    message: str


def new_order_id() -> str:
    """A merchant order id for a checkout."""
    return f"chk-{uuid.uuid4().hex[:16]}"


class Checkout:
    """Takes a validated form to a published PaymentApproved or PaymentDeclined."""

    def __init__(
        self,
        vault: Vault,
        psp: Authorizer,
        publisher: EventPublisher,
        *,
        order_ids: Callable[[], str] = new_order_id,
    ) -> None:
        self._vault = vault
        self._psp = psp
        self._publisher = publisher
        self._order_ids = order_ids

    async def pay(self, form: CheckoutForm, customer_ip: str | None = None) -> Receipt:
        """Tokenize and authorize concurrently, publish the event, answer the customer."""
        order_id = self._order_ids()
        token, authorization = await self._tokenize_and_authorize(form, order_id)
        event = payment_event(
            form, token, authorization, merchant_order_id=order_id, customer_ip=customer_ip
        )
        await self._publisher.publish(event)
        _log_published(order_id, event)
        return Receipt(
            status="approved" if authorization.approved else "declined",
            order_id=order_id,
            last4=form.last4,
            message=authorization.description,
        )

    async def _tokenize_and_authorize(
        self, form: CheckoutForm, order_id: str
    ) -> tuple[str | None, Authorization]:
        try:
            async with asyncio.TaskGroup() as group:
                vaulting = group.create_task(self._tokenize(form, order_id))
                authorizing = group.create_task(self._psp.authorize(authorization_request(form)))
        except ExceptionGroup as failed:
            # Vaulting failures are caught inside, so this is the authorization's (which
            # cancelled the vaulting): raise it as itself, for callers to catch by type.
            raise failed.exceptions[0] from None
        return vaulting.result(), authorizing.result()

    async def _tokenize(self, form: CheckoutForm, order_id: str) -> str | None:
        try:
            response = await self._vault.tokenize(tokenize_request(form))
        except FlexmitError as exc:
            # Flex's errors are scrubbed of secrets and card numbers by the client.
            log.warning(
                "checkout %s: card not vaulted, publishing without a token: %s", order_id, exc
            )
            return None
        if response.token is None:
            log.warning("checkout %s: Flex answered /tokenize without a token", order_id)
        return response.token


def _log_published(order_id: str, event: PaymentEvent) -> None:
    log.info(
        "checkout %s %s: transaction %s, card %s...%s, token %s, sense key %s",
        order_id,
        event.event_type,
        event.transaction_id,
        event.card.bin,
        event.card.last4,
        event.card.token,
        event.sense_key,
    )


def tokenize_request(form: CheckoutForm) -> TokenizeRequest:
    """The /tokenize body for the form's card, with its sense key."""
    card = CreditCard(
        first_name=form.first_name,
        last_name=form.last_name,
        number=form.card_number,
        verification_value=form.cvv,
        month=f"{form.expiry.month:02d}",
        year=f"{form.expiry.year:04d}",
    )
    method = VaultPaymentMethod(credit_card=card, email=form.email, sense_key=form.sense_key)
    return TokenizeRequest(payment_method=method)


def authorization_request(form: CheckoutForm) -> AuthorizationRequest:
    """The PSP request for the form's card and amount."""
    return AuthorizationRequest(
        card_number=form.card_number,
        cvv=form.cvv,
        expiry_month=form.expiry.month,
        expiry_year=form.expiry.year,
        holder_name=form.holder_name,
        zipcode=form.zipcode,
        country_code=form.country_code,
        amount_minor=form.amount_minor,
        currency=form.currency,
    )
