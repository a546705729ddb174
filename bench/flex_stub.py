"""A minimal Flex for benchmarks: token and evaluate, contract-shaped answers, no added latency.

Run as ``python -m bench.flex_stub --port 8765``; ``bench.flex_client`` starts it in a
subprocess so the server and the client under test do not share an event loop or a core.
"""

from __future__ import annotations

import argparse
import time
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ENVELOPE: dict[str, object] = {"statusCode": None, "errors": [], "customProperties": {}}


async def token(request: Request) -> JSONResponse:
    """``POST /v1/oauth2/token``: a ten-minute token, whatever the credentials."""
    await request.body()
    expires_ms = int((time.time() + 600) * 1000)
    body = {"accessToken": "bench-" + uuid.uuid4().hex, "expires": expires_ms, "success": True}
    return JSONResponse(body | {"result": None, "status": None} | ENVELOPE)


async def evaluate(request: Request) -> JSONResponse:
    """``POST /v1/evaluate``: SUBMITTED, as for a managed MIT."""
    await request.body()
    order = str(uuid.uuid4())
    body = {"orderSessionKey": order, "orderId": order, "senseKey": None, "status": "SUBMITTED"}
    return JSONResponse(body | {"success": True, "result": "Success"} | ENVELOPE)


app = Starlette(
    routes=[
        Route("/v1/oauth2/token", token, methods=["POST"]),
        Route("/v1/evaluate", evaluate, methods=["POST"]),
    ]
)


def main() -> None:
    """Serve on 127.0.0.1 until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # uvloop + httptools: the fastest server available here, so the client is what is measured.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        backlog=4096,
    )


if __name__ == "__main__":
    main()
