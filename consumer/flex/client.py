"""``FlexClient``: one typed method per Flex endpoint an integration uses.

Each call goes through the same path: encode the body (``wire``), take a token (``auth``),
send one HTTP attempt and report it to the observer, translate anything that is not a 2xx
into ``consumer.flex.errors``, retry the transient failures (``retry``), then parse the body
into a response model. A 401 invalidates the token, fetches a new one and sends once more.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from consumer.errors import ConfigurationError
from consumer.flex import wire
from consumer.flex.auth import TokenCache
from consumer.flex.errors import (
    FlexUnexpectedResponse,
    attempt_label,
    error_for_exception,
    error_for_status,
)
from consumer.flex.models import (
    CancelRequest,
    EvaluateRequest,
    OutcomeRequest,
    RefundRequest,
    TokenRequest,
    TransmitRequest,
)
from consumer.flex.observer import FlexObserver, SilentObserver
from consumer.flex.orders import Order
from consumer.flex.redaction import install_log_filter, scrub
from consumer.flex.responses import (
    EvaluateResponse,
    OutcomeResponse,
    RefundResponse,
    TokenResponse,
    TransmitResponse,
)
from consumer.flex.retry import RetryPolicy, parse_retry_after
from consumer.flex.transport import open_http_client
from consumer.flex.vault import TokenizeRequest, TokenizeResponse
from consumer.money import to_major
from consumer.settings import FlexSettings

R = TypeVar("R", bound=BaseModel)


class FlexClient:
    """The Flex API over an injected ``httpx.AsyncClient`` (use ``open`` to own a real one)."""

    def __init__(
        self,
        settings: FlexSettings,
        http: httpx.AsyncClient,
        *,
        observer: FlexObserver | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._http = http
        self._observer: FlexObserver = observer or SilentObserver()
        self._retry = retry or RetryPolicy.from_settings(settings)
        self._clock = clock
        self._base = str(settings.base_url).rstrip("/") + "/"
        self._tokens = TokenCache(
            self._fetch_token, margin_seconds=settings.token_renew_margin_seconds, clock=clock
        )
        self._token_in_use: SecretStr | None = None
        install_log_filter()

    def __repr__(self) -> str:
        return f"FlexClient(base_url={self._base!r}, mid={self._settings.mid!r})"

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: FlexSettings,
        *,
        observer: FlexObserver | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> AsyncIterator[FlexClient]:
        """A client owning its HTTP pool (the configured transport), closed on exit."""
        async with open_http_client(settings) as http:
            yield cls(settings, http, observer=observer, retry=retry, clock=clock)

    async def tokenize(self, request: TokenizeRequest) -> TokenizeResponse:
        """``POST /v1/tokenize``: vault a card; authenticated by the tokenization key, no bearer."""
        key = self._settings.tokenization_key
        if key is None:
            raise ConfigurationError("FLEXMIT_FLEX__TOKENIZATION_KEY is required for /tokenize")
        params = {"mid": self._settings.mid, "environment": key.get_secret_value()}
        response = await self._retry.run(
            lambda: self._plain("tokenize", "POST", "tokenize", wire.encode(request), params)
        )
        return self._parse("tokenize", response, TokenizeResponse)

    async def transmit(self, request: TransmitRequest) -> TransmitResponse:
        """``POST /v1/transmit``: a copy of an approved transaction for Flex's risk model."""
        body = request.model_copy(update={"mid": request.mid or self._settings.mid})
        response = await self._request("transmit", "POST", "transmit", body)
        return self._parse("transmit", response, TransmitResponse)

    async def evaluate(self, request: EvaluateRequest) -> EvaluateResponse:
        """``POST /v1/evaluate`` with an idempotency key derived from the transaction id."""
        site_id = request.site_id or (None if request.site_url else self._settings.site_id)
        body = request.model_copy(
            update={"mid": request.mid or self._settings.mid, "site_id": site_id}
        )
        response = await self._request("evaluate", "POST", "evaluate", body)
        return self._parse("evaluate", response, EvaluateResponse)

    async def order(self, order_id: str) -> Order:
        """``GET /v1/orders/{id}``; raises FlexNotFound for an unknown order."""
        response = await self._request("orders.get", "GET", f"orders/{_segment(order_id)}")
        return self._parse("orders.get", response, Order)

    async def refund(
        self, order_id: str, *, amount_minor: int, currency: str, message: str
    ) -> RefundResponse:
        """``POST /v1/orders/{id}/refund``; a refused refund is returned, check ``succeeded``.

        ``message`` must be the same for every retry of one refund command (put the command id
        in it): Flex de-duplicates identical refund requests, which makes retrying safe.
        """
        amount = to_major(amount_minor, currency)
        body = RefundRequest(amount_to_refund=amount, refund_message=message)
        path = f"orders/{_segment(order_id)}/refund"
        response = await self._request("orders.refund", "POST", path, body)
        return self._parse("orders.refund", response, RefundResponse)

    async def cancel(self, order_id: str, *, idempotency_key: UUID | None = None) -> None:
        """``POST /v1/orders/{id}/cancel``: stop a rescue that has not been captured."""
        body = CancelRequest(idempotency_key=idempotency_key)
        # 200 with an empty body (or {}): nothing to parse.
        await self._request("orders.cancel", "POST", f"orders/{_segment(order_id)}/cancel", body)

    async def external_cancel(
        self, merchant_order_id: str, *, idempotency_key: UUID | None = None
    ) -> None:
        """``POST /v1/orders/{orderId}/external-cancel``: cancel by OUR order id."""
        path = f"orders/{_segment(merchant_order_id)}/external-cancel"
        body = CancelRequest(idempotency_key=idempotency_key)
        await self._request("orders.external_cancel", "POST", path, body)

    async def outcome(self, order_session_key: str) -> OutcomeResponse:
        """``POST /v1/outcome`` (deprecated by Flex; prefer ``order``)."""
        body = OutcomeRequest(order_session_key=order_session_key)
        response = await self._request("outcome", "POST", "outcome", body)
        return self._parse("outcome", response, OutcomeResponse)

    async def _request(
        self, endpoint: str, method: str, path: str, body: BaseModel | None = None
    ) -> httpx.Response:
        content = None if body is None else wire.encode(body)
        return await self._retry.run(lambda: self._authorized(endpoint, method, path, content))

    async def _authorized(
        self, endpoint: str, method: str, path: str, content: bytes | None
    ) -> httpx.Response:
        token = await self._tokens.current()
        response = await self._send(endpoint, method, path, content, None, token)
        if response.status_code == 401:
            # Flex's documented rule: reuse the token until a 401, then fetch a new one.
            self._tokens.invalidate(token)
            token = await self._tokens.current()
            response = await self._send(endpoint, method, path, content, None, token)
        return self._checked(endpoint, response)

    async def _plain(
        self, endpoint: str, method: str, path: str, content: bytes, params: dict[str, str]
    ) -> httpx.Response:
        response = await self._send(endpoint, method, path, content, params, None)
        return self._checked(endpoint, response)

    async def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        content: bytes | None,
        params: dict[str, str] | None,
        token: SecretStr | None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            self._token_in_use = token
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, self._base + path, content=content, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            self._observer.observe(endpoint, attempt_label(exc), time.perf_counter() - started)
            raise error_for_exception(endpoint, exc, self._scrub(str(exc))) from None
        self._observer.observe(endpoint, str(response.status_code), time.perf_counter() - started)
        return response

    def _checked(self, endpoint: str, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock)
        body = self._scrub(response.text).encode()
        raise error_for_status(endpoint, response.status_code, body, retry_after)

    async def _fetch_token(self) -> tuple[SecretStr, float]:
        # One attempt: the retry around the calling request covers a failed fetch too.
        settings = self._settings
        body = wire.encode(TokenRequest(app_key=settings.app_key, app_secret=settings.app_secret))
        response = await self._send("oauth2.token", "POST", "oauth2/token", body, None, None)
        token = self._parse("oauth2.token", self._checked("oauth2.token", response), TokenResponse)
        return token.access_token, token.expires / 1000

    def _parse(self, endpoint: str, response: httpx.Response, model: type[R]) -> R:
        try:
            return model.model_validate_json(response.content or b"{}")
        except ValidationError as exc:
            reason = self._scrub(_describe(exc))
            raise FlexUnexpectedResponse(endpoint, response.status_code, reason) from None

    def _scrub(self, text: str) -> str:
        settings = self._settings
        secrets = (settings.app_key, settings.app_secret, settings.tokenization_key)
        known = [*secrets, self._token_in_use]
        return scrub(text, (secret.get_secret_value() for secret in known if secret is not None))


def _segment(identifier: str) -> str:
    """An id as one path segment: an id cannot add path parts or a query."""
    return quote(identifier, safe="")


def _describe(exc: ValidationError) -> str:
    # Without the inputs: pydantic would otherwise quote the body, access token and all.
    problems = exc.errors(include_input=False, include_url=False)
    return "; ".join(f"{'.'.join(map(str, p['loc'])) or 'body'}: {p['msg']}" for p in problems)
