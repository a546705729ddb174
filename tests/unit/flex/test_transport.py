"""The default transport is aiohttp's pool behind httpx, and nothing from aiohttp escapes it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from consumer.flex.transport import GuardedTransport, build_transport
from tests.unit.flex.fakes import settings


def raising(exc: Exception) -> GuardedTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return GuardedTransport(httpx.MockTransport(handler))


class BrokenBody(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"id": '
        raise aiohttp.ClientPayloadError("Response payload is not completed")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (aiohttp.ServerDisconnectedError(), httpx.NetworkError),
        (
            aiohttp.ClientResponseError(None, (), status=400, message="bad header"),  # type: ignore[arg-type]
            httpx.RemoteProtocolError,
        ),
        (aiohttp.ServerTimeoutError("read timed out"), httpx.TimeoutException),
        (TimeoutError(), httpx.TimeoutException),
        (ConnectionResetError("reset"), httpx.NetworkError),
        (httpx.ConnectTimeout("connect"), httpx.ConnectTimeout),
    ],
)
async def test_foreign_errors_become_httpx_errors(exc: Exception, kind: type[Exception]) -> None:
    async with httpx.AsyncClient(transport=raising(exc)) as http:
        with pytest.raises(kind):
            await http.get("http://flex.test/v1/orders/1")


async def test_a_disconnect_mapped_to_a_timeout_by_httpx_aiohttp_is_a_connection_error() -> None:
    mapped = httpx.ConnectTimeout("Server disconnected")
    mapped.__cause__ = aiohttp.ServerDisconnectedError()
    async with httpx.AsyncClient(transport=raising(mapped)) as http:
        with pytest.raises(httpx.NetworkError):
            await http.get("http://flex.test/v1/orders/1")


async def test_a_body_that_breaks_midway_is_an_httpx_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=BrokenBody())

    async with httpx.AsyncClient(transport=GuardedTransport(httpx.MockTransport(handler))) as http:
        with pytest.raises(httpx.NetworkError):
            await http.get("http://flex.test/v1/orders/1")


def test_aiohttp_is_the_default_and_the_pool_size_comes_from_settings() -> None:
    transport = build_transport(settings(max_connections=64))
    assert isinstance(transport, GuardedTransport)
    inner = transport._inner
    assert isinstance(inner, AiohttpTransport)
    assert inner.limits.max_connections == 64
    assert inner.limits.max_keepalive_connections == 64


def test_httpx_own_pool_can_be_chosen() -> None:
    assert isinstance(build_transport(settings(transport="httpx")), httpx.AsyncHTTPTransport)
