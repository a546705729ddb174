"""The worker's small HTTP face: Prometheus metrics, liveness by progress, readiness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Protocol

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class Probe(Protocol):
    """Answers whether the process makes progress and can take work."""

    def alive(self) -> tuple[bool, str]:
        """Progress: polling recently, and finishing records when there are some."""

    def ready(self) -> tuple[bool, str]:
        """Started, connected, not shutting down."""


def build_app(probe: Probe, registry: CollectorRegistry) -> Starlette:
    """GET /metrics, /healthz, /readyz."""
    return Starlette(routes=routes(probe, registry))


def routes(probe: Probe, registry: CollectorRegistry) -> list[Route]:
    """The three routes, for an app that serves more (the webhook receiver)."""

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        return _answer(*probe.alive())

    async def readyz(_: Request) -> Response:
        return _answer(*probe.ready())

    return [
        Route("/metrics", metrics),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]


def _answer(ok: bool, detail: str) -> Response:
    return JSONResponse({"ok": ok, "detail": detail}, status_code=200 if ok else 503)


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside a process that handles its own signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave SIGTERM/SIGINT to the process: it drains work before stopping us."""
        yield


async def serve(app: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve ``app`` until ``stop`` is set."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="off")  # fmt: skip
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task
