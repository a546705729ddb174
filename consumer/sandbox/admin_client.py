"""A small synchronous client for the /_sandbox endpoints, for tests and the demo."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from consumer.errors import FlexmitError
from consumer.sandbox.ledger import Ledger


class AdminError(FlexmitError):
    """The sandbox's admin endpoints could not be reached or refused the request."""


class AdminClient:
    """Reads the ledger, resets, sets faults and moves the clock of a running sandbox."""

    def __init__(self, root_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=root_url, timeout=10.0, transport=transport)

    def ledger(self) -> Ledger:
        """The ledger, typed."""
        return Ledger.model_validate(self.ledger_json())

    def ledger_json(self) -> dict[str, Any]:
        """The ledger as JSON, including ``clock`` and ``pending``."""
        body: dict[str, Any] = self._call("GET", "/_sandbox/ledger")
        return body

    def reset(self) -> None:
        """Forget everything the sandbox holds."""
        self._call("POST", "/_sandbox/reset")

    def faults(self, **knobs: Any) -> dict[str, Any]:
        """Change the given fault knobs (PATCH); returns all knobs."""
        body: dict[str, Any] = self._call("PATCH", "/_sandbox/faults", knobs)
        return body

    def clear_faults(self) -> None:
        """No faults at all (PUT with no knobs)."""
        self._call("PUT", "/_sandbox/faults", {})

    def advance(self, *, seconds: float = 0.0, days: float = 0.0) -> None:
        """Jump virtual time forward; rescues and expiries that fall due happen now."""
        self._call("POST", "/_sandbox/clock/advance", {"seconds": seconds, "days": days})

    def wait_for(
        self, condition: Callable[[Ledger], bool], timeout: float = 10.0, interval: float = 0.02
    ) -> Ledger:
        """Poll the ledger until ``condition`` holds; AdminError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            ledger = self.ledger()
            if condition(ledger):
                return ledger
            if time.monotonic() > deadline:
                raise AdminError(f"sandbox ledger condition not met within {timeout} s")
            time.sleep(interval)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            raise AdminError(f"{method} {path}: HTTP {exc.response.status_code}") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise AdminError(f"{method} {path}: {type(exc).__name__}") from None
