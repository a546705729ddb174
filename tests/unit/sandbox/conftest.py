"""The sandbox app in-process: httpx over ASGI, a settable wall clock, webhooks caught by a fake.

Nothing of the simulator is patched: the seams are the wall-clock callable and the webhook
HTTP client (an ``httpx.MockTransport``), both constructor arguments of ``build_app``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from consumer.sandbox.app import build_app
from consumer.settings import SandboxSettings
from tests import flex_requests

START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
WEBHOOK_URL = "https://merchant.example/webhooks/flex"


class FakeWall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START.timestamp()

    def __call__(self) -> float:
        return self.now


class RealWall(FakeWall):
    """The real wall clock, for the tests about compressed real time."""

    def __call__(self) -> float:
        return time.time()


@dataclass
class Harness:
    """A running sandbox app and what the tests need around it."""

    client: httpx.AsyncClient
    wall: FakeWall
    webhook_requests: list[httpx.Request]
    # Statuses the fake receiver answers, in order; 200 once exhausted.
    receiver_statuses: list[int] = field(default_factory=list)
    _token: str | None = None

    @property
    def now(self) -> datetime:
        """The fake wall time."""
        return datetime.fromtimestamp(self.wall(), UTC)

    async def auth(self) -> dict[str, str]:
        """Authorization header with a fresh-enough access token."""
        if self._token is None:
            response = await self.client.post(
                "/v1/oauth2/token",
                json={"AppKey": flex_requests.APP_KEY, "AppSecret": flex_requests.APP_SECRET},
            )
            self._token = response.json()["accessToken"]
        return {"Authorization": f"Bearer {self._token}"}

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """POST with the bearer token."""
        return await self.client.post(path, json=body, headers=await self.auth())

    async def get(self, path: str) -> httpx.Response:
        """GET with the bearer token."""
        return await self.client.get(path, headers=await self.auth())

    async def evaluate(self, **overrides: Any) -> httpx.Response:
        """POST /v1/evaluate with a valid body (managed MIT by default)."""
        return await self.post("/v1/evaluate", flex_requests.evaluate(self.now, **overrides))

    async def ledger(self) -> dict[str, Any]:
        """GET /_sandbox/ledger."""
        body: dict[str, Any] = (await self.client.get("/_sandbox/ledger")).json()
        return body

    async def advance(self, **amount: float) -> None:
        """Move virtual time (days=, seconds=) through the admin endpoint."""
        response = await self.client.post("/_sandbox/clock/advance", json=amount)
        assert response.status_code == 200

    async def settle(self) -> list[dict[str, Any]]:
        """Wait until no webhook delivery is in flight; return the payloads received."""
        for _ in range(2000):
            if (await self.ledger())["pending"]["webhooks"] == 0:
                return self.webhooks()
            await asyncio.sleep(0.001)
        raise AssertionError("webhook deliveries did not finish")

    def webhooks(self) -> list[dict[str, Any]]:
        """Payloads the fake receiver got, in arrival order."""
        return [json.loads(request.content) for request in self.webhook_requests]


MakeSandbox = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_sandbox() -> AsyncIterator[MakeSandbox]:
    """Factory: ``await make_sandbox(**settings)`` starts an app with those settings.

    ``real_clock=True`` runs on the real wall clock instead of the hand-moved one.
    """
    stops: list[Callable[[], Awaitable[None]]] = []

    async def make(*, real_clock: bool = False, **overrides: Any) -> Harness:
        wall = RealWall() if real_clock else FakeWall()
        requests: list[httpx.Request] = []
        statuses: list[int] = []

        def receive(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return httpx.Response(statuses.pop(0) if statuses else 200)

        settings = SandboxSettings.model_validate(
            {"webhook_url": WEBHOOK_URL, "webhook_backoff": timedelta(milliseconds=1)} | overrides
        )
        webhook_client = httpx.AsyncClient(transport=httpx.MockTransport(receive))
        app = build_app(settings, wall=wall, webhook_client=webhook_client)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://flex")

        async def stop() -> None:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)
            await webhook_client.aclose()

        stops.append(stop)
        return Harness(client, wall, requests, statuses)

    yield make
    for stop in reversed(stops):
        await stop()


@pytest.fixture
async def sandbox(make_sandbox: MakeSandbox) -> Harness:
    """A sandbox with default settings (amount rule on, real-time scale, webhooks caught)."""
    return await make_sandbox()
