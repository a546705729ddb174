"""Fakes at the checkout's seams: a form, a PSP that answers as told, a recording publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from consumer.checkout.authorization import Authorization, AuthorizationRequest
from consumer.checkout.form import CheckoutForm
from consumer.checkout.payment_event import PaymentEvent
from consumer.flex import FlexClient
from tests.unit.flex.fakes import json_response, settings

CARD = "4000002760003184"
CVV = "737"
TOKEN = "d1f7a7e4-8a3b-4a5e-9c1f-2b3c4d5e6f70"
SENSE_KEY = "3c8e9a1f-2222-4d7e-9f00-5a6b7c8d9e0f"
ANSWERED_AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def form_fields(**overrides: Any) -> dict[str, Any]:
    """What the page posts, as JSON-ready values."""
    fields = {
        "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com",
        "address_line1": "1 Main St", "city": "Austin", "zipcode": "73301",
        "country_code": "US", "card_number": "4000 0027 6000 3184", "expiry": "09/30",
        "cvv": CVV, "amount": "49.99", "currency": "USD", "sense_key": SENSE_KEY,
    }  # fmt: skip
    return fields | overrides


def a_form(**overrides: Any) -> CheckoutForm:
    """A valid form."""
    return CheckoutForm.model_validate(form_fields(**overrides))


def an_authorization(approved: bool = True, **overrides: Any) -> Authorization:
    """A PSP answer."""
    fields: dict[str, Any] = {
        "approved": approved,
        "transaction_id": "psp-tx-1",
        "response_code": "00" if approved else "05",
        "description": "Approved" if approved else "Do not honor",
        "psp_name": "simulated",
        "brand": "VISA",
        "card_country": "US",
        "avs": "Y",
        "cvv": "M",
        "answered_at": ANSWERED_AT,
    }
    return Authorization.model_validate(fields | overrides)


def tokenize_answer(token: str = TOKEN) -> httpx.Response:
    """Flex's /tokenize answer for the test card."""
    method = {"token": token, "first_six_digits": CARD[:6], "last_four_digits": CARD[-4:]}
    return json_response(200, {"transaction": {"succeeded": True, "payment_method": method}})


def flex_client(handler: Any) -> FlexClient:
    """A FlexClient whose HTTP is ``handler`` (sync or async) behind MockTransport."""
    return FlexClient(settings(), httpx.AsyncClient(transport=httpx.MockTransport(handler)))


@dataclass
class ScriptedPsp:
    """Answers every authorization with ``answer``; keeps the requests."""

    answer: Authorization | Exception
    requests: list[AuthorizationRequest] = field(default_factory=list)

    async def authorize(self, request: AuthorizationRequest) -> Authorization:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@dataclass
class Published:
    """A publisher that keeps what it was given."""

    events: list[PaymentEvent] = field(default_factory=list)
    failure: Exception | None = None

    async def publish(self, event: PaymentEvent) -> None:
        if self.failure is not None:
            raise self.failure
        self.events.append(event)
