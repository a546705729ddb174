"""The webhook baseline: the same server answering 200 with no work.

The same uvicorn configuration as ``flexmit webhooks`` (``consumer.webhooks.server.config``),
the same Starlette, the same route; the endpoint reads the body and answers 200 without
verifying, storing or publishing anything. What the real receiver loses against it is the
cost of verification, the store and the publish.

    .venv/bin/python -m bench.null_receiver --port 8080
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consumer.eventloop import run
from consumer.settings import SANDBOX_WEBHOOK_KEY, WebhookSettings
from consumer.webhooks import server
from consumer.webhooks.app import WEBHOOK_PATH


async def _accept(request: Request) -> Response:
    await request.body()
    return JSONResponse({"received": True})


async def _healthz(_: Request) -> Response:
    return JSONResponse({"ok": True})


async def main(port: int) -> None:
    """Serve until SIGTERM."""
    app = Starlette(routes=[Route(WEBHOOK_PATH, _accept, methods=["POST"]),
                            Route("/healthz", _healthz)])  # fmt: skip
    settings = WebhookSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "subscriber_keys": [SANDBOX_WEBHOOK_KEY]}
    )
    await server.serve(app, settings, asyncio.Event())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    run(main(parser.parse_args(sys.argv[1:]).port))
