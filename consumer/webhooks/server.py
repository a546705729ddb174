"""Serving the receiver with uvicorn: HTTPS itself, or plain HTTP behind a TLS-terminating proxy.

Flex delivers over HTTPS only. With ``tls_cert_file`` and ``tls_key_file`` set, uvicorn serves
TLS with them (a chain file: the certificate first, then intermediates). Without them the
receiver speaks HTTP and a proxy (a Kubernetes Ingress, a load balancer) terminates TLS; the
proxy must pass the body through unchanged, since the signature covers its exact bytes.
"""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from starlette.applications import Starlette

from consumer.health import EmbeddedServer
from consumer.settings import WebhookSettings


def config(app: Starlette, settings: WebhookSettings) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` under ``settings``."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        log_config=None,  # our handler, set up by logs.configure, stays in charge
        access_log=False,  # the metrics count requests; one line each drowns the rest
        lifespan="off",
        server_header=False,
        # Requests in progress when SIGTERM arrives get this long to finish (store + Kafka).
        timeout_graceful_shutdown=10,
    )


async def serve(app: Starlette, settings: WebhookSettings, stop: asyncio.Event) -> None:
    """Serve ``app`` until ``stop`` is set, then finish the requests in progress."""
    server = EmbeddedServer(config(app, settings))
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task
