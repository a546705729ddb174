"""A stand-in for SenseJS (contract §10.1): the widget script and the sessions it opens.

GET  /sensejs/widget.js   what the documented loader snippet injects (``fc('init', mid, siteId)``)
POST /sensejs/sessions    the widget's device signals in, a fresh sense key out

The real script comes from https://sensejs.flexfactor.io/widget.js and its way of handing the key
to the page is not documented. This stand-in's choice: ``window.fc.senseKey`` is set, then a
``fc:sensekey`` event (``event.detail.senseKey``) is dispatched on ``document``. Every key issued
is kept in the ledger (``senseKeys``) with the signals that came with it, so a test can check
that the key a merchant forwarded is one the widget really issued.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from consumer.sandbox.ledger import SenseSession
from consumer.sandbox.problems import Problem, render
from consumer.sandbox.simulator import Simulator

_WIDGET = resources.files("consumer.sandbox").joinpath("sensejs_widget.js")
# The page is served by the merchant, so the widget posts from another origin.
_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type"}

SignalName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
SignalValue = Annotated[str, StringConstraints(max_length=512)] | int | float | bool | None


class SessionRequest(BaseModel):
    """What the widget posts: the ``fc('init', ...)`` arguments and the device signals."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    mid: str
    site_id: str = Field(alias="siteId")
    signals: Annotated[dict[SignalName, SignalValue], Field(max_length=32)] = {}


class SenseJs:
    """Handlers of the /sensejs routes."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator
        self._script = _WIDGET.read_bytes()

    def routes(self) -> list[BaseRoute]:
        """The widget script and its session endpoint."""
        return [
            Route("/sensejs/widget.js", self.widget, methods=["GET"]),
            Route("/sensejs/sessions", self.session, methods=["POST", "OPTIONS"]),
        ]

    async def widget(self, request: Request) -> Response:
        """GET /sensejs/widget.js."""
        headers = {"Cache-Control": "no-store"}
        return Response(self._script, media_type="text/javascript", headers=headers)

    async def session(self, request: Request) -> Response:
        """POST /sensejs/sessions: a sense key for the configured MID and site; 403 otherwise."""
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=_CORS)
        try:
            response: Response = JSONResponse(
                {"senseKey": self._issue(request, await request.body())}
            )
        except Problem as problem:
            response = render(request, problem)
        # Also on errors, or the widget could not read why it got no key.
        response.headers.update(_CORS)
        return response

    def _issue(self, request: Request, raw: bytes) -> str:
        body = _session_request(raw)
        settings = self._sim.settings
        if body.mid != settings.mid or body.site_id != settings.site_id:
            raise Problem(403, "Unknown MID or site id.")
        sense_key = str(uuid.uuid4())
        self._sim.state.ledger.sense_keys[sense_key] = SenseSession(
            mid=body.mid,
            site_id=body.site_id,
            issued_at=self._sim.clock.now(),
            origin=request.headers.get("origin"),
            signals=body.signals,
        )
        return sense_key


def _session_request(raw: bytes) -> SessionRequest:
    try:
        return SessionRequest.model_validate(json.loads(raw or b"{}"))
    except (ValueError, ValidationError):
        raise Problem(400, "Expected {mid, siteId, signals} as JSON.") from None
