"""The sandbox as an ASGI application: routes, error rendering, middleware, lifespan."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from consumer.sandbox.admin import Admin
from consumer.sandbox.api import Api
from consumer.sandbox.middleware import SandboxMiddleware
from consumer.sandbox.problems import Problem, render
from consumer.sandbox.sensejs import SenseJs
from consumer.sandbox.simulator import Simulator
from consumer.settings import SandboxSettings


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return render(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes and wrong methods answer in ProblemDetails like the rest of the API.
    assert isinstance(exc, HTTPException)
    return render(request, Problem(exc.status_code))


def build_app(
    settings: SandboxSettings,
    *,
    wall: Callable[[], float] = time.time,
    webhook_client: httpx.AsyncClient | None = None,
) -> Starlette:
    """A sandbox application; its simulator is at ``app.state.simulator``."""
    simulator = Simulator(settings, wall=wall, webhook_client=webhook_client)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    app = Starlette(
        routes=[*Api(simulator).routes(), *SenseJs(simulator).routes(), *Admin(simulator).routes()],
        middleware=[Middleware(SandboxMiddleware, simulator=simulator)],
        exception_handlers={
            Problem: _problem,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
        },
        lifespan=lifespan,
    )
    app.state.simulator = simulator
    return app


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The caller hung up mid-request (its timeout, or its process was killed): nobody reads
    # the answer, and it is no server error worth a traceback.
    return Response(status_code=499)
