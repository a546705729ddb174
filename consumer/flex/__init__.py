"""Flex's API, spoken by the merchant side: ``FlexClient`` and the models and errors it uses.

Modules, one concept each: ``client`` (one method per endpoint), ``models`` (request bodies),
``responses`` / ``orders`` / ``vault`` (what comes back), ``problem`` (error bodies),
``errors`` (the exception tree), ``auth`` (token cache), ``retry`` (backoff policy),
``wire`` (exact JSON), ``transport`` (the HTTP pool), ``observer`` (metrics seam),
``redaction`` (secrets out of logs and messages).
"""

from consumer.flex.client import FlexClient
from consumer.flex.errors import (
    FlexAuthFailed,
    FlexConflict,
    FlexNotFound,
    FlexRejected,
    FlexUnavailable,
    FlexUnexpectedResponse,
)
from consumer.flex.models import evaluate_idempotency_key
from consumer.flex.observer import FlexObserver

__all__ = [
    "FlexAuthFailed",
    "FlexClient",
    "FlexConflict",
    "FlexNotFound",
    "FlexObserver",
    "FlexRejected",
    "FlexUnavailable",
    "FlexUnexpectedResponse",
    "evaluate_idempotency_key",
]
