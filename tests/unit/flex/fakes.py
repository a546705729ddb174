"""A scripted Flex behind ``httpx.MockTransport``, and the pieces every flex unit test needs."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import AnyHttpUrl, SecretStr

from consumer.flex.client import FlexClient
from consumer.flex.models import (
    Address,
    CardMetadata,
    EvaluateRequest,
    Payer,
    PaymentMethod,
    Subscription,
    Transaction,
    TransmitRequest,
)
from consumer.flex.retry import RetryPolicy
from consumer.settings import FlexSettings

APP_KEY = "app-key-5f1c9a"
APP_SECRET = "app-secret-9Zq7Lm3Xv"
TOKENIZATION_KEY = "tokenization-key-Hy2Wd8"
MID = "11111111-2222-3333-4444-555555555555"
SITE_ID = "66666666-7777-8888-9999-000000000000"
SECRETS = (APP_KEY, APP_SECRET, TOKENIZATION_KEY)

Answer = httpx.Response | Exception


def raw_path(request: httpx.Request) -> str:
    """The path as sent, percent-escapes kept, without the query."""
    return request.url.raw_path.decode().split("?", 1)[0]


def settings(**overrides: Any) -> FlexSettings:
    """FlexSettings pointing at a fake host, with recognisable secret values."""
    values: dict[str, Any] = {
        "base_url": AnyHttpUrl("https://flex.test/v1/"),
        "app_key": SecretStr(APP_KEY),
        "app_secret": SecretStr(APP_SECRET),
        "tokenization_key": SecretStr(TOKENIZATION_KEY),
        "mid": MID,
        "site_id": SITE_ID,
        "max_attempts": 4,
    }
    return FlexSettings(**(values | overrides))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """A response with a JSON body."""
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


class Clock:
    """A wall clock that only moves when told to."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Sleeps:
    """A fake ``asyncio.sleep`` that records the delays it was asked for."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class Observations:
    """An observer recording (endpoint, status) per attempt."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def observe(self, endpoint: str, status: str, seconds: float) -> None:
        assert seconds >= 0
        self.seen.append((endpoint, status))


class FakeFlex:
    """Answers each path from a queue of scripted answers; tokens are issued automatically."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, deque[Answer]] = {}
        self.tokens_issued = 0
        self.token_lifetime_seconds = 600.0

    def script(self, path: str, *answers: Answer) -> None:
        """Queue answers for ``path`` (e.g. "/v1/evaluate"), used in order."""
        self.answers.setdefault(path, deque()).extend(answers)

    def to(self, path: str) -> list[httpx.Request]:
        """The requests received for ``path``."""
        return [request for request in self.requests if raw_path(request) == path]

    def bodies(self, path: str) -> Iterator[Any]:
        """The JSON bodies received for ``path``."""
        return (json.loads(request.content) for request in self.to(path))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        self.requests.append(request)
        # Yield so that concurrent callers really overlap, as they would on a network.
        await asyncio.sleep(0)
        queue = self.answers.get(raw_path(request))
        if queue:
            answer = queue.popleft()
            if isinstance(answer, Exception):
                raise answer
            return answer
        if raw_path(request) == "/v1/oauth2/token":
            return self._token()
        return json_response(200, {"success": True})

    def _token(self) -> httpx.Response:
        self.tokens_issued += 1
        expires_ms = int((self.clock() + self.token_lifetime_seconds) * 1000)
        token = f"access-token-{self.tokens_issued}"
        return json_response(200, {"accessToken": token, "expires": expires_ms, "success": True})


@dataclass
class Harness:
    """A client wired to a FakeFlex, with its clock, sleeps and observations."""

    flex: FakeFlex
    client: FlexClient
    clock: Clock
    sleeps: Sleeps
    observed: Observations


def harness(**setting_overrides: Any) -> Harness:
    """A FlexClient over MockTransport with a fake clock, fake sleep and fixed jitter."""
    clock, sleeps, observed = Clock(), Sleeps(), Observations()
    flex = FakeFlex(clock)
    configured = settings(**setting_overrides)
    retry = RetryPolicy(
        max_attempts=configured.max_attempts,
        base_seconds=0.5,
        cap_seconds=4.0,
        retry_after_cap_seconds=30.0,
        sleep=sleeps,
        jitter=lambda: 1.0,
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(flex.handle))
    client = FlexClient(configured, http, observer=observed, retry=retry, clock=clock)
    return Harness(flex, client, clock, sleeps, observed)


def an_evaluate_request(transaction_id: str = "psp-tx-88812", **overrides: Any) -> EvaluateRequest:
    """A managed-MIT evaluate request with every nested object the contract lists."""
    values: dict[str, Any] = {
        "order_id": "ORD-100045",
        "transaction": a_transaction(transaction_id),
        "payer": Payer(email="jane@example.com", phone="+15550100"),
        "payment_method": PaymentMethod(**CARD, card_number="d1f7a7e4-8a3b-4a5e-9c1f-2b3c4d5e6f70"),
        "billing_information": ADDRESS,
        "is_mit": True,
        "is_recurring": True,
        "expiry_date_utc": datetime(2026, 1, 26, 10, tzinfo=UTC),
        "transaction_type": "PURCHASE",
        "subscription": Subscription(
            subscription_id="sub_123",
            interval="monthly",
            price="49.99",
            currency="USD",
            payment_number="4",
        ),
    }
    return EvaluateRequest(**(values | overrides))


def a_transmit_request() -> TransmitRequest:
    """An approved-payment copy for /transmit."""
    return TransmitRequest(
        order_id="ORD-100046",
        transaction=a_transaction("psp-tx-90001"),
        payer=Payer(email="jane@example.com"),
        payment_method=CardMetadata(**CARD),
        is_mit=True,
    )


def a_transaction(transaction_id: str) -> Transaction:
    """The PSP transaction of a declined renewal."""
    return Transaction(
        id=transaction_id,
        timestamp_utc=datetime(2026, 1, 5, 10, tzinfo=UTC),
        amount=4999,
        currency="USD",
        response_code="05",
        response_code_source="nmi",
        response_description="Do not honor",
    )


CARD: dict[str, Any] = {
    "holder_name": "Jane Doe",
    "card_type": "CREDIT",
    "card_brand": "VISA",
    "card_country": "US",
    "expiration_month": 9,
    "expiration_year": 2030,
    "card_bin_number": "411111",
    "card_last4_digits": "1111",
}

ADDRESS = Address(
    first_name="Jane",
    last_name="Doe",
    country="US",
    country_code="US",
    address_line1="1 Main St",
    city="Austin",
    state="TX",
    zipcode="73301",
)
