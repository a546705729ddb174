"""ASGI middleware for /v1: count every call in the ledger and inject the configured faults.

Pure ASGI (no BaseHTTPMiddleware) so it adds no task or queue per request.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumer.sandbox.simulator import Simulator

_FAULT_ANSWERS = {
    "500": (500, "Internal Server Error"),
    "503": (503, "Service Unavailable"),
    "429": (429, "Too Many Requests"),
}


def endpoint_label(method: str, path: str) -> str:
    """``POST /v1/orders/{id}/refund`` for ``POST /v1/orders/3f2.../refund``."""
    parts = path.rstrip("/").split("/")
    if len(parts) >= 4 and parts[2] == "orders":
        parts[3] = "{id}"
    return f"{method} {'/'.join(parts)}"


class SandboxMiddleware:
    """Counts calls per endpoint and status; applies latency, errors and held answers."""

    def __init__(self, app: ASGIApp, simulator: Simulator) -> None:
        self._app = app
        self._sim = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self._app(scope, receive, send)
            return
        label = endpoint_label(scope["method"], scope["path"])
        faults = self._sim.faults
        fault = faults.for_request() if faults.applies_to(scope["path"]) else None
        if fault is not None and fault.delay_seconds > 0:
            await asyncio.sleep(fault.delay_seconds)
        if fault is not None and fault.kind in _FAULT_ANSWERS:
            await self._answer_fault(fault.kind, label, send)
            return
        hold = faults.current.timeout_hold_seconds if fault and fault.kind == "timeout" else 0.0
        await self._app(scope, receive, self._counting(label, send, hold))

    def _counting(self, label: str, send: Send, hold: float) -> Send:
        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Counted before any hold: the call happened even if the client gives up.
                self._sim.state.ledger.count_call(label, message["status"])
                if hold:
                    await asyncio.sleep(hold)
            await send(message)

        return counting_send

    async def _answer_fault(self, kind: str, label: str, send: Send) -> None:
        status, title = _FAULT_ANSWERS[kind]
        body = json.dumps({"title": title, "status": status}).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if kind == "429":
            retry_after = str(self._sim.faults.current.retry_after_seconds).encode()
            headers.append((b"retry-after", retry_after))
        self._sim.state.ledger.count_call(label, status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
