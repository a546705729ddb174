"""librdkafka's own log lines, routed into Python logging (formatted, levelled, redacted)."""

from __future__ import annotations

import logging

# Without a logger librdkafka writes raw lines to stderr, bypassing our format and redaction.
LIBRDKAFKA = logging.getLogger("librdkafka")
