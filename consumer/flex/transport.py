"""The HTTP connection pool under the httpx API: aiohttp's by default, httpx's own on request.

Measured with ``python -m bench.flex_client`` against the simulator (BENCHMARKS.md): httpx's
own pool loses throughput as concurrency grows (encode/httpx#3215) while the aiohttp transport
keeps it, so ``aiohttp`` is the default. Everything above this module speaks httpx only; this module
makes sure nothing from aiohttp escapes, and that a dropped connection is reported as a
connection error rather than the timeout httpx-aiohttp maps it to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from consumer.settings import FlexSettings

KEEPALIVE_SECONDS = 30.0


def build_transport(settings: FlexSettings) -> httpx.AsyncBaseTransport:
    """The configured transport, pooling up to ``max_connections`` keep-alive connections."""
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    if settings.transport == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    return GuardedTransport(AiohttpTransport(limits=limits))


def open_http_client(settings: FlexSettings) -> httpx.AsyncClient:
    """An httpx client for Flex: configured transport and timeout, no redirects, no env proxies."""
    return httpx.AsyncClient(
        transport=build_transport(settings),
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Wraps a foreign transport so only httpx exceptions come out of it, body reads included."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the inner transport, translating what it lets through."""
        try:
            response = await self._inner.handle_async_request(request)
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            _raise_translated(exc, request)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_GuardedStream(response.stream, request),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        """Close the inner transport's pool."""
        await self._inner.aclose()


class _GuardedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream, request: httpx.Request):
        assert isinstance(inner, httpx.AsyncByteStream)
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            _raise_translated(exc, self._request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _raise_translated(exc: Exception, request: httpx.Request) -> NoReturn:
    translated = _translate(exc, request)
    if translated is exc:
        raise exc
    raise translated from exc


def _translate(exc: Exception, request: httpx.Request) -> Exception:
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) else exc
    if isinstance(exc, httpx.HTTPError) and not isinstance(cause, aiohttp.ClientError):
        return exc
    # aiohttp's timeouts derive from TimeoutError; its other connection errors are not timeouts.
    if isinstance(cause, TimeoutError):
        return httpx.TimeoutException(str(cause) or "timed out", request=request)
    if isinstance(cause, aiohttp.ClientResponseError):
        # Its str() quotes the URL, query string (and so the tokenization key) included.
        return httpx.RemoteProtocolError(f"{cause.status} {cause.message}", request=request)
    return httpx.NetworkError(str(cause) or type(cause).__name__, request=request)
