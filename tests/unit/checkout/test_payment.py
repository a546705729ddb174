"""A checkout tokenizes while the PSP authorizes, publishes one event, and survives Flex outages."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from consumer.checkout.authorization import (
    Authorization,
    AuthorizationRequest,
    AuthorizationUnavailable,
)
from consumer.checkout.payment import Checkout
from consumer.events import PaymentApproved, PaymentDeclined
from tests.unit.checkout.support import (
    CARD,
    CVV,
    SENSE_KEY,
    TOKEN,
    Published,
    ScriptedPsp,
    a_form,
    an_authorization,
    flex_client,
    tokenize_answer,
)
from tests.unit.flex.fakes import TOKENIZATION_KEY, json_response

# Only guards against a deadlock; the overlap itself is proven by the events, not by time.
DEADLOCK_GUARD_SECONDS = 5


def checkout(flex: httpx.Response | Exception, psp: ScriptedPsp, published: Published) -> Checkout:
    """A Checkout whose Flex answers /tokenize with ``flex``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if isinstance(flex, Exception):
            raise flex
        return flex

    return Checkout(flex_client(answer), psp, published, order_ids=lambda: "chk-1")


async def test_tokenize_and_authorize_run_at_the_same_time() -> None:
    tokenizing, authorizing = asyncio.Event(), asyncio.Event()

    async def flex(request: httpx.Request) -> httpx.Response:
        tokenizing.set()
        # Run one after the other, each would wait forever for the other to start.
        async with asyncio.timeout(DEADLOCK_GUARD_SECONDS):
            await authorizing.wait()
        return tokenize_answer()

    class OverlappingPsp:
        async def authorize(self, request: AuthorizationRequest) -> Authorization:
            authorizing.set()
            async with asyncio.timeout(DEADLOCK_GUARD_SECONDS):
                await tokenizing.wait()
            return an_authorization()

    published = Published()
    receipt = await Checkout(flex_client(flex), OverlappingPsp(), published).pay(a_form())
    assert receipt.status == "approved"
    assert published.events[0].card.token == TOKEN


async def test_an_approval_publishes_payment_approved_and_answers_the_customer() -> None:
    published = Published()
    receipt = await checkout(tokenize_answer(), ScriptedPsp(an_authorization()), published).pay(
        a_form(), "10.1.2.3"
    )
    (event,) = published.events
    assert isinstance(event, PaymentApproved)
    assert (event.card.token, event.sense_key, event.customer_ip) == (TOKEN, SENSE_KEY, "10.1.2.3")
    assert receipt.model_dump(by_alias=True) == {
        "status": "approved", "orderId": "chk-1", "last4": "3184", "message": "Approved",
    }  # fmt: skip


async def test_a_decline_publishes_payment_declined_with_the_token() -> None:
    published = Published()
    psp = ScriptedPsp(an_authorization(approved=False))
    receipt = await checkout(tokenize_answer(), psp, published).pay(a_form())
    (event,) = published.events
    assert isinstance(event, PaymentDeclined)
    assert (event.card.token, event.decline.code) == (TOKEN, "05")
    assert (receipt.status, receipt.message) == ("declined", "Do not honor")


async def test_flex_gets_the_card_and_the_sense_key_and_the_psp_the_amount() -> None:
    sent: list[httpx.Request] = []

    def flex(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return tokenize_answer()

    psp = ScriptedPsp(an_authorization())
    await Checkout(flex_client(flex), psp, Published()).pay(a_form())
    (request,) = sent
    assert request.url.params["environment"] == TOKENIZATION_KEY
    method = json.loads(request.content)["payment_method"]
    assert method["sense_key"] == SENSE_KEY
    assert method["credit_card"] == {
        "first_name": "Jane", "last_name": "Doe", "number": CARD, "verification_value": CVV,
        "month": "09", "year": "2030",
    }  # fmt: skip
    (asked,) = psp.requests
    assert (asked.card_number.get_secret_value(), asked.amount_minor) == (CARD, 4999)


async def test_when_flex_refuses_the_payment_still_goes_out_without_a_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    published = Published()
    echoing = json_response(400, {"title": "Bad card", "detail": f"number {CARD} refused"})
    receipt = await checkout(echoing, ScriptedPsp(an_authorization()), published).pay(a_form())
    (event,) = published.events
    assert receipt.status == "approved"
    assert (event.card.token, event.card.last4) == (None, "3184")
    assert "card not vaulted" in caplog.text
    assert CARD not in caplog.text


async def test_when_the_psp_cannot_answer_nothing_is_published() -> None:
    published = Published()
    psp = ScriptedPsp(AuthorizationUnavailable("PSP timed out"))
    with pytest.raises(AuthorizationUnavailable):
        await checkout(tokenize_answer(), psp, published).pay(a_form())
    assert published.events == []


async def test_no_log_line_of_a_checkout_carries_the_card_number_or_cvv(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await checkout(tokenize_answer(), ScriptedPsp(an_authorization()), Published()).pay(a_form())
    assert "card 400000...3184" in caplog.text
    assert CARD not in caplog.text
    assert f" {CVV}" not in caplog.text
