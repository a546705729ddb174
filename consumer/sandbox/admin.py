"""Sandbox-only endpoints under /_sandbox (not part of Flex's API): inspect, reset, steer.

GET   /_sandbox/ledger          everything received and done (see ledger.py for the shape)
POST  /_sandbox/reset           forget everything; faults back to their configured values
GET   /_sandbox/faults          the current fault knobs
PUT   /_sandbox/faults          set all knobs (omitted ones return to zero)
PATCH /_sandbox/faults          change only the knobs given, e.g. {"error_503_rate": 1.0}
GET   /_sandbox/clock           virtual now and time scale
POST  /_sandbox/clock/advance   {"seconds": N} and/or {"days": N}: jump virtual time, run
                                what became due (rescues, expiries) before answering
GET   /healthz                  liveness
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from consumer.sandbox.problems import Problem
from consumer.sandbox.simulator import Simulator

_DAY = 86_400.0


class Admin:
    """Handlers of the /_sandbox routes."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def routes(self) -> list[BaseRoute]:
        """The /_sandbox routes and /healthz."""
        return [
            Route("/_sandbox/ledger", self.ledger, methods=["GET"]),
            Route("/_sandbox/reset", self.reset, methods=["POST"]),
            Route("/_sandbox/faults", self.faults, methods=["GET", "PUT", "PATCH"]),
            Route("/_sandbox/clock", self.clock, methods=["GET"]),
            Route("/_sandbox/clock/advance", self.advance, methods=["POST"]),
            Route("/healthz", self.health, methods=["GET"]),
        ]

    async def ledger(self, request: Request) -> Response:
        """GET /_sandbox/ledger."""
        return JSONResponse(self._sim.ledger_json())

    async def reset(self, request: Request) -> Response:
        """POST /_sandbox/reset."""
        await self._sim.reset()
        return JSONResponse({"reset": True})

    async def faults(self, request: Request) -> Response:
        """GET, PUT or PATCH /_sandbox/faults."""
        if request.method != "GET":
            knobs = await _json_object(request)
            faults = self._sim.faults
            change = faults.replace if request.method == "PUT" else faults.update
            try:
                change(knobs)
            except ValidationError as exc:
                errors = {".".join(map(str, e["loc"])): [e["msg"]] for e in exc.errors()}
                raise Problem(400, errors=errors) from None
        return JSONResponse(self._sim.faults.current.model_dump(mode="json"))

    async def clock(self, request: Request) -> Response:
        """GET /_sandbox/clock."""
        return JSONResponse(self._sim.clock_json())

    async def advance(self, request: Request) -> Response:
        """POST /_sandbox/clock/advance."""
        body = await _json_object(request)
        try:
            seconds = float(body.get("seconds", 0)) + float(body.get("days", 0)) * _DAY
        except (TypeError, ValueError):
            raise Problem(400, "seconds and days must be numbers") from None
        ran = self._sim.advance(seconds)
        return JSONResponse(self._sim.clock_json() | {"timersRun": ran})

    async def health(self, request: Request) -> Response:
        """GET /healthz."""
        return JSONResponse({"status": "ok"})


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise Problem(400, "The body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise Problem(400, "The body must be a JSON object.")
    return body
