"""The seam through which the client reports each HTTP attempt (wired to Prometheus by the caller).

``endpoint`` is a low-cardinality label (``evaluate``, ``orders.refund``, never an order id);
``status`` is the HTTP status code as text, or ``timeout`` / ``connection_error`` when no
answer came back; ``seconds`` is the attempt's duration, token fetches included as
``oauth2.token``.
"""

from __future__ import annotations

from typing import Protocol

ENDPOINTS = (
    "oauth2.token",
    "tokenize",
    "transmit",
    "evaluate",
    "orders.get",
    "orders.refund",
    "orders.cancel",
    "orders.external_cancel",
    "outcome",
)


class FlexObserver(Protocol):
    """Receives one call per HTTP attempt."""

    def observe(self, endpoint: str, status: str, seconds: float) -> None:
        """Record one attempt; must be quick and must not raise."""


class SilentObserver:
    """The default observer: records nothing."""

    def observe(self, endpoint: str, status: str, seconds: float) -> None:
        """Ignore the attempt."""
