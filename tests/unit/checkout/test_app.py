"""The checkout app serves the page with the SenseJS loader and answers POST /checkout without
ever echoing the card number."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from consumer.checkout.app import MAX_BODY_BYTES, build_app
from consumer.checkout.authorization import AuthorizationUnavailable
from consumer.checkout.page import render_page
from consumer.checkout.payment import Checkout
from tests.unit.checkout.support import (
    CARD,
    Published,
    ScriptedPsp,
    an_authorization,
    flex_client,
    form_fields,
    tokenize_answer,
)

WIDGET_URL = "http://sandbox.test/sensejs/widget.js"
PAGE = render_page(
    widget_url=WIDGET_URL, mid="mid-1", site_id="site-1", currency="USD", sense_key_wait_ms=3000
)

MakeClient = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def client_for(published: Published) -> MakeClient:
    """``async with client_for(psp_answer) as client``: the app in-process, lifespan run."""

    @contextlib.asynccontextmanager
    async def make(psp_answer: Any = None) -> AsyncIterator[httpx.AsyncClient]:
        psp = ScriptedPsp(psp_answer or an_authorization())

        @contextlib.asynccontextmanager
        async def open_checkout() -> AsyncIterator[Checkout]:
            yield Checkout(flex_client(lambda _: tokenize_answer()), psp, published)

        app = build_app(PAGE, open_checkout)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
                yield client

    return make


async def test_the_page_embeds_the_loader_for_the_merchant(client_for: MakeClient) -> None:
    async with client_for() as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "w['JS-Widget'] = o;" in response.text
    assert f"}}(window, document, 'script', 'fc', \"{WIDGET_URL}\"));" in response.text
    assert 'fc(\'init\', "mid-1", "site-1");' in response.text
    for name in ("card_number", "expiry", "cvv", "amount", "email", "first_name"):
        assert f'name="{name}"' in response.text
    assert 'fetch("/checkout"' in response.text


def test_page_values_cannot_break_out_of_the_script() -> None:
    page = render_page(
        widget_url="http://x.test/</script><script>alert(1)//", mid="m", site_id="s",
        currency="<b>", sense_key_wait_ms=1,
    )  # fmt: skip
    assert "</script><script>alert(1)" not in page
    assert "<b>" not in page


async def test_a_payment_is_answered_with_a_receipt(
    client_for: MakeClient, published: Published
) -> None:
    async with client_for() as client:
        response = await client.post("/checkout", json=form_fields())
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["last4"], body["message"]) == ("approved", "3184", "Approved")
    assert body["orderId"] == published.events[0].merchant_order_id
    assert CARD not in response.text


async def test_an_invalid_form_names_the_fields_but_not_their_values(
    client_for: MakeClient, published: Published
) -> None:
    async with client_for() as client:
        response = await client.post("/checkout", json=form_fields(cvv=CARD, expiry="13/99"))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"cvv", "expiry.month"}
    assert CARD not in response.text
    assert published.events == []


@pytest.mark.parametrize(
    "body",
    [b"[" * 1500 + b"]" * 1500, b'{"name": "trunc', b"\xff\xfe"],
    ids=["deeply-nested", "truncated", "non-utf-8"],
)
async def test_hostile_bodies_are_refused_clearly(
    client_for: MakeClient, published: Published, body: bytes
) -> None:
    async with client_for() as client:
        response = await client.post(
            "/checkout", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert published.events == []


async def test_only_json_is_accepted(client_for: MakeClient) -> None:
    async with client_for() as client:
        response = await client.post("/checkout", data=form_fields())
    assert response.status_code == 415
    assert CARD not in response.text


async def test_an_oversized_body_is_refused(client_for: MakeClient) -> None:
    async with client_for() as client:
        response = await client.post("/checkout", json=form_fields(city="x" * MAX_BODY_BYTES))
    assert response.status_code == 413


async def test_a_psp_outage_answers_503_without_card_data(
    client_for: MakeClient, published: Published
) -> None:
    async with client_for(AuthorizationUnavailable("PSP timed out")) as client:
        response = await client.post("/checkout", json=form_fields())
    assert response.status_code == 503
    assert "try again" in response.json()["error"]
    assert published.events == []


async def test_health(client_for: MakeClient) -> None:
    async with client_for() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
