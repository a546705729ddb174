"""Logging set-up: text or JSON lines, with card numbers scrubbed from every line."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Literal

from consumer.events import looks_like_pan

# Runs of digit groups joined by single spaces or dashes: the shapes card numbers take in text.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_MARK = "[REDACTED-PAN]"


def redact(text: str) -> str:
    """Replace every card number (13-19 digits passing Luhn, whole groups of a run) by a mark."""
    return _DIGIT_RUN.sub(_scrub_run, text)


def _scrub_run(match: re.Match[str]) -> str:
    parts = re.split(r"([ -])", match.group())
    groups, separators = parts[0::2], parts[1::2]
    hidden = [False] * len(groups)
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last]
            if len(digits) > 19:
                break
            if looks_like_pan(digits):
                hidden[first : last + 1] = [True] * (last - first + 1)
    if not any(hidden):
        return match.group()
    out = []
    for index, group in enumerate(groups):
        if not (hidden[index] and index > 0 and hidden[index - 1]):
            if index > 0:
                out.append(separators[index - 1])
            out.append(_MARK if hidden[index] else group)
    return "".join(out)


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
