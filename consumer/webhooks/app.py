"""The receiver's HTTP surface: an ASGI app on Starlette, served by uvicorn (``server.py``).

    POST /webhooks/flex   200 handled, 400 not a notification, 401 not from Flex,
                          413 too large, 503 not now (store, Kafka, order not ready): resend
    GET  /healthz, /readyz, /metrics, /openapi.json

Checks run cheapest and safest first: the size cap, then authenticity over the raw bytes, and
only then is the body parsed, so a stranger learns nothing but 401. A 2xx goes out only after
the store is updated and Kafka acknowledged what there was to publish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consumer import health
from consumer.errors import KafkaFatal, TransientError
from consumer.metrics import Metrics
from consumer.webhooks.authenticity import Authenticator
from consumer.webhooks.body import BodyTooLarge, read_capped
from consumer.webhooks.intake import Intake, NotReady
from consumer.webhooks.notification import FlexWebhook, MalformedNotification, parse
from consumer.webhooks.signature import InvalidSignature

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/flex"
_UNREAD = "other"  # the metric's event label before the body may be trusted
_RETRY_AFTER = {"Retry-After": "5"}


class WebhookEndpoint:
    """``POST /webhooks/flex``: authenticate, parse, hand to the intake, answer."""

    def __init__(
        self,
        authenticator: Authenticator,
        intake: Intake,
        metrics: Metrics,
        max_body_bytes: int,
        on_fatal: Callable[[BaseException], None],
    ) -> None:
        self._auth = authenticator
        self._intake = intake
        self._metrics = metrics
        self._max_body = max_body_bytes
        self._on_fatal = on_fatal

    async def handle(self, request: Request) -> Response:
        """The Starlette endpoint."""
        try:
            body = await read_capped(request, self._max_body)
        except BodyTooLarge:
            self._metrics.webhook(_UNREAD, "rejected")
            return _error(413, "the body is too large")
        try:
            nonce = await self._auth.check(body, request.headers, request.headers.get("host", ""))
        except InvalidSignature as exc:
            return self._unauthorized(request, exc)
        except TransientError as exc:
            log.warning("webhook deferred, nonces cannot be checked: %s", exc)
            return _error(503, "try again later", _RETRY_AFTER)
        try:
            notification = parse(body)
        except MalformedNotification as exc:
            log.warning("signed webhook refused: %s", exc)
            self._metrics.webhook(_UNREAD, "rejected")
            return _error(400, str(exc))
        return await self._settle(notification, nonce)

    async def _settle(self, notification: FlexWebhook, nonce: str) -> Response:
        try:
            result = await self._intake.handle(notification)
        except (TransientError, KafkaFatal) as exc:
            await self._auth.release(nonce)
            self._metrics.webhook(notification.event, "deferred")
            if isinstance(exc, KafkaFatal):
                self._on_fatal(exc)
            elif not isinstance(exc, NotReady):
                log.warning("webhook %s deferred: %s", notification.event, exc)
            return _error(503, "try again later", _RETRY_AFTER)
        self._metrics.webhook(notification.event, result.value)
        return JSONResponse({"result": result.value})

    def _unauthorized(self, request: Request, exc: InvalidSignature) -> Response:
        self._metrics.signature_failure(exc.reason)
        self._metrics.webhook(_UNREAD, "rejected")
        client = request.client.host if request.client else "unknown"
        log.warning("webhook from %s refused: %s", client, exc.reason)
        return _error(401, "not signed by Flex")


def build_app(
    endpoint: WebhookEndpoint,
    probe: health.Probe,
    registry: CollectorRegistry,
    openapi: dict[str, Any],
) -> Starlette:
    """The receiver's routes (see the module docstring)."""

    async def document(_: Request) -> Response:
        return JSONResponse(openapi)

    routes = [
        Route(WEBHOOK_PATH, endpoint.handle, methods=["POST"]),
        Route("/openapi.json", document),
        *health.routes(probe, registry),
    ]
    return Starlette(routes=routes)


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": detail}, status_code=status, headers=headers)
