"""The simulated Flex endpoints under /v1: authenticate, bind, delegate, answer.

Handlers stay thin; each rule lives in the module named for it (evaluation, refunds, ...).
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from consumer.sandbox import bodies, orders, vault
from consumer.sandbox.binding import bind, read, validate
from consumer.sandbox.clock import iso
from consumer.sandbox.envelope import envelope
from consumer.sandbox.problems import Problem
from consumer.sandbox.simulator import Simulator
from consumer.sandbox.transmits import transmit


class Api:
    """Route handlers bound to one simulator."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def routes(self) -> list[BaseRoute]:
        """The /v1 routes."""
        post = ["POST"]
        return [
            Route("/v1/oauth2/token", self.token, methods=post),
            Route("/v1/tokenize", self.tokenize, methods=post),
            Route("/v1/transmit", self.transmit, methods=post),
            Route("/v1/evaluate", self.evaluate, methods=post),
            Route("/v1/outcome", self.outcome, methods=post),
            Route("/v1/capture", self.capture, methods=post),
            Route("/v1/orders/{id}", self.order, methods=["GET"]),
            Route("/v1/orders/{id}/refund", self.refund, methods=post),
            Route("/v1/orders/{id}/cancel", self.cancel, methods=post),
            Route("/v1/orders/{id}/external-cancel", self.external_cancel, methods=post),
        ]

    async def token(self, request: Request) -> Response:
        """POST /v1/oauth2/token: AppKey/AppSecret -> access token; wrong ones -> 400."""
        body = await bind(request, bodies.TokenRequest)
        settings = self._sim.settings
        key_ok = _same(body.app_key, settings.app_key.get_secret_value())
        secret_ok = _same(body.app_secret, settings.app_secret.get_secret_value())
        if not (key_ok and secret_ok):
            raise Problem(400, "Invalid AppKey or AppSecret.")
        self._sim.state.ledger.tokens_issued += 1
        return JSONResponse(envelope(self._sim.tokens.issue(body.app_key)))

    async def tokenize(self, request: Request) -> Response:
        """POST /v1/tokenize?mid=&environment=: no bearer needed; wrong mid/key -> 401."""
        self._check_tokenization_key(request)
        body = await bind(request, bodies.TokenizeRequest)
        return JSONResponse(vault.tokenize(self._sim.state, body, self._sim.clock.now()))

    async def transmit(self, request: Request) -> Response:
        """POST /v1/transmit: stored once per transaction id."""
        self._authorize(request)
        body = await bind(request, bodies.TransmitRequest)
        return JSONResponse(transmit(self._sim.state, body, self._sim.settings.mid))

    async def evaluate(self, request: Request) -> Response:
        """POST /v1/evaluate."""
        self._authorize(request)
        document = await read(request)
        body = validate(bodies.EvaluateRequest, document)
        return JSONResponse(self._sim.evaluator.evaluate(body, document))

    async def outcome(self, request: Request) -> Response:
        """POST /v1/outcome (deprecated): NOTFOUND for unknown keys, as documented."""
        self._authorize(request)
        body = await bind(request, bodies.OutcomeRequest)
        order = self._sim.state.ledger.orders.get(body.order_session_key.lower())
        status = orders.outcome_view(order) if order else "NOTFOUND"
        fields = {"confirmationId": order.confirmation_id if order else None}
        return JSONResponse(envelope(fields, status=status))

    async def capture(self, request: Request) -> Response:
        """POST /v1/capture."""
        self._authorize(request)
        document = await read(request)
        body = validate(bodies.CaptureRequest, document)
        return JSONResponse(self._sim.captures.capture(body, document))

    async def order(self, request: Request) -> Response:
        """GET /v1/orders/{id}."""
        self._authorize(request)
        order = self._sim.state.order(request.path_params["id"])
        return JSONResponse(_public(order))

    async def refund(self, request: Request) -> Response:
        """POST /v1/orders/{id}/refund."""
        self._authorize(request)
        order = self._sim.state.order(request.path_params["id"])
        body = await bind(request, bodies.RefundRequest)
        return JSONResponse(self._sim.refunds.refund(order, body))

    async def cancel(self, request: Request) -> Response:
        """POST /v1/orders/{id}/cancel: 200 with an empty body."""
        self._authorize(request)
        return await self._cancel(request, self._sim.state.order(request.path_params["id"]))

    async def external_cancel(self, request: Request) -> Response:
        """POST /v1/orders/{orderId}/external-cancel, by the merchant's orderId."""
        self._authorize(request)
        order = self._sim.state.order_by_merchant_id(request.path_params["id"])
        return await self._cancel(request, order)

    async def _cancel(self, request: Request, order: orders.Order) -> Response:
        document = await read(request, optional=True)
        body = validate(bodies.CancelRequest, document)
        self._sim.cancellations.cancel(order, body, document)
        return Response(status_code=200)

    def _authorize(self, request: Request) -> None:
        if not self._sim.tokens.accepts(request.headers.get("authorization")):
            raise Problem(401)

    def _check_tokenization_key(self, request: Request) -> None:
        mid, key = request.query_params.get("mid"), request.query_params.get("environment")
        missing = {
            name: [f"The {name} field is required."]
            for name in ("mid", "environment")
            if not request.query_params.get(name)
        }
        if missing:
            raise Problem(400, errors=missing)
        expected = self._sim.settings.tokenization_key.get_secret_value()
        if mid != self._sim.settings.mid or not _same(key or "", expected):
            raise Problem(401)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _public(order: orders.Order) -> dict[str, Any]:
    """GET /v1/orders/{id} as documented in §5.2."""
    customer = order.customer
    return {
        "id": order.id,
        "correlationId": order.correlation_id,
        "referenceNumber": order.reference_number,
        "status": int(order.status),
        "statusName": order.status_name,
        "orderPlacedDate": iso(order.placed_at),
        "expiryDate": iso(order.expiry_date) if order.expiry_date else None,
        "billingAddress": {
            "country": customer.country,
            "city": customer.city,
            "zipcode": customer.zipcode,
            "addressLine1": customer.address_line1,
        },
        "shippingAddress": None,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "secondaryEmail": "",
        "currencyCode": order.currency,
        "currencySymbol": _SYMBOLS.get(order.currency, ""),
    }
