"""FlexClient on its default aiohttp transport speaks real HTTP: bodies, errors and retries."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from pydantic import AnyHttpUrl, SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consumer.flex import FlexClient, FlexNotFound, FlexUnavailable
from consumer.flex.responses import EvaluateStatus
from consumer.settings import FlexSettings
from tests.unit.flex.fakes import Observations, an_evaluate_request

pytestmark = pytest.mark.integration


@dataclass
class Received:
    """What the server saw."""

    bodies: dict[str, list[bytes]] = field(default_factory=dict)
    unavailable_left: int = 1


def flex_app(received: Received) -> Starlette:
    """A small Flex: token, evaluate (503 once, Retry-After 0), refund, cancel, unknown order."""

    async def record(request: Request) -> None:
        received.bodies.setdefault(request.url.path, []).append(await request.body())

    async def token(request: Request) -> Response:
        await record(request)
        return JSONResponse({"accessToken": "t-1", "expires": 4_102_444_800_000})

    async def evaluate(request: Request) -> Response:
        await record(request)
        if received.unavailable_left:
            received.unavailable_left -= 1
            return Response(status_code=503, headers={"Retry-After": "0"})
        return JSONResponse({"orderSessionKey": "e3b2", "status": "SUBMITTED", "extra": 1})

    async def refund(request: Request) -> Response:
        await record(request)
        return JSONResponse({"status": "SUCCESS", "success": True, "responseCode": "0"})

    async def cancel(request: Request) -> Response:
        await record(request)
        return Response(status_code=200)

    async def unknown(request: Request) -> Response:
        return JSONResponse({"title": "Order not found", "status": 404}, status_code=404)

    return Starlette(
        routes=[
            Route("/v1/oauth2/token", token, methods=["POST"]),
            Route("/v1/evaluate", evaluate, methods=["POST"]),
            Route("/v1/orders/e3b2/refund", refund, methods=["POST"]),
            Route("/v1/orders/e3b2/cancel", cancel, methods=["POST"]),
            Route("/v1/orders/{order_id}", unknown, methods=["GET"]),
        ]
    )


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Received]]:
    """The app served by uvicorn on a free loopback port, in this test's event loop."""
    received = Received()
    config = uvicorn.Config(flex_app(received), log_level="warning")
    served = uvicorn.Server(config)
    # Listening before uvicorn starts: early connections wait in the backlog, no polling.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        task = asyncio.create_task(served.serve(sockets=[listener]))
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1/", received
        served.should_exit = True
        await task


def flex_settings(base_url: str, **overrides: object) -> FlexSettings:
    values: dict[str, object] = {
        "base_url": AnyHttpUrl(base_url),
        "app_key": SecretStr("k"),
        "app_secret": SecretStr("s"),
        "mid": "11111111-2222-3333-4444-555555555555",
        "site_id": "66666666-7777-8888-9999-000000000000",
        "retry_base_seconds": 0.01,
    }
    return FlexSettings.model_validate(values | overrides)


async def test_evaluate_refund_cancel_and_not_found_over_http(
    server: tuple[str, Received],
) -> None:
    url, received = server
    observed = Observations()
    async with FlexClient.open(flex_settings(url), observer=observed) as flex:
        response = await flex.evaluate(an_evaluate_request())
        refund = await flex.refund("e3b2", amount_minor=1234, currency="KWD", message="cmd-1")
        await flex.cancel("e3b2")
        with pytest.raises(FlexNotFound):
            await flex.order("missing")
    assert response.decision is EvaluateStatus.SUBMITTED
    assert refund.succeeded
    first, second = received.bodies["/v1/evaluate"]
    assert first == second
    assert json.loads(first)["isMIT"] is True
    assert received.bodies["/v1/orders/e3b2/refund"] == [
        b'{"amountToRefund":1.234,"refundMessage":"cmd-1"}'
    ]
    assert received.bodies["/v1/orders/e3b2/cancel"] == [b"{}"]
    assert [s for e, s in observed.seen if e == "evaluate"] == ["503", "200"]


async def test_a_refused_connection_is_unavailable_and_observed_as_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    observed = Observations()
    settings = flex_settings(f"http://127.0.0.1:{port}/v1/", max_attempts=1)
    async with FlexClient.open(settings, observer=observed) as flex:
        with pytest.raises(FlexUnavailable):
            await flex.order("o1")
    assert observed.seen == [("oauth2.token", "connection_error")]
