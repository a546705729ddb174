"""Logging set-up: text or JSON lines, with card numbers scrubbed from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Literal

from consumer.events import looks_like_pan

# 13-19 digits, optionally split by spaces or dashes: the shapes a card number takes in text.
_PAN_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def redact(text: str) -> str:
    """Replace anything that passes the Luhn check as a card number with a marker."""
    return _PAN_CANDIDATE.sub(
        lambda match: "[REDACTED-PAN]" if looks_like_pan(match.group()) else match.group(), text
    )


class TextFormatter(logging.Formatter):
    """Human-readable lines. No code should log card data; if some does, it is scrubbed here."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, traceback included, scrubbed of card numbers."""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers; scrubbed like the text format."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry))


def configure(level: str = "INFO", fmt: Literal["text", "json"] = "text") -> None:
    """Install the root handler once, at start-up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # One line per HTTP request drowns everything else; our metrics count requests instead.
    for chatty in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
