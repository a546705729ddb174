"""Keeping Flex credentials out of log lines and exception messages.

Two leaks are closed here. Flex's answers (error bodies, exception texts) could echo what we
sent, so texts are scrubbed of every known secret value and of card numbers before they reach
an exception. And httpx logs each request URL at INFO level, which for /tokenize would include
the tokenization key (``environment=...``); a filter on the ``httpx`` logger masks it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx

from consumer.logs import redact

MASK = "[REDACTED]"
_SECRET_PARAMS = ("environment",)
_SHORTEST_SECRET = 4


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value and anything that looks like a card number masked."""
    for secret in secrets:
        # A value of a few characters is no secret, and masking it would garble the text.
        if len(secret) >= _SHORTEST_SECRET:
            text = text.replace(secret, MASK)
    return redact(text)


class SecretQueryFilter(logging.Filter):
    """Masks secret query parameters in the URLs httpx passes to its log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's URL arguments; never drop the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_url(arg) for arg in record.args)
        return True


def install_log_filter() -> None:
    """Attach the filter to httpx's logger once per process."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(existing, SecretQueryFilter) for existing in logger.filters):
        logger.addFilter(SecretQueryFilter())


def _mask_url(arg: object) -> object:
    if not isinstance(arg, httpx.URL):
        return arg
    for name in _SECRET_PARAMS:
        if name in arg.params:
            arg = arg.copy_set_param(name, MASK)
    return arg
