"""The example checkout as an ASGI application.

GET  /           the checkout page
POST /checkout   the form as JSON -> 200 {status, orderId, last4, message}; 422 {errors} naming
                 the invalid fields (never their values); 413 for a body over 16 KiB; 415 for
                 anything but JSON; 503 when the PSP or Kafka could not be reached
GET  /healthz    liveness

The ``Checkout`` behind the route is opened by the lifespan, on the serving event loop, from a
factory: the real one (``server.open_checkout``) or any other a test passes in.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from consumer.checkout.form import InvalidCheckout, parse_form
from consumer.checkout.payment import Checkout
from consumer.errors import FlexmitError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024

CheckoutFactory = Callable[[], AbstractAsyncContextManager[Checkout]]


def build_app(page: str, open_checkout: CheckoutFactory) -> Starlette:
    """The checkout app serving ``page``; its Checkout comes from ``open_checkout``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_checkout() as checkout:
            app.state.checkout = checkout
            try:
                yield
            finally:
                # Let the closed producer and HTTP pool go with the context, not with the app.
                del app.state.checkout

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/checkout", submit, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def submit(request: Request) -> Response:
    """POST /checkout."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "Send the form as application/json.")
    raw = await _body(request)
    if raw is None:
        return _error(413, "The form is too large.")
    try:
        form = parse_form(raw)
    except InvalidCheckout as exc:
        return JSONResponse({"errors": exc.errors}, status_code=422)
    checkout: Checkout = request.app.state.checkout
    client_ip = request.client.host if request.client else None
    try:
        receipt = await checkout.pay(form, client_ip)
    except FlexmitError as exc:
        log.error("checkout failed: %s", exc)
        return _error(503, "The payment could not be completed; please try again later.")
    return JSONResponse(receipt.model_dump(by_alias=True))


async def health(request: Request) -> Response:
    """GET /healthz."""
    return JSONResponse({"status": "ok"})


async def _body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)
