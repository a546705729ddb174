"""The service's exception tree, sorted by what the caller does next.

    FlexmitError
    ├── ConfigurationError          stop at start-up, print the message, exit 2
    ├── TransientError              retry later; the work is delayed, never dropped
    │   ├── FlexUnavailable         timeouts, connection errors, 429, 5xx (flex/errors.py)
    │   ├── StoreUnavailable        the database is down or locked
    │   └── KafkaUnavailable        produce or commit failed for a retriable reason
    └── PermanentError              retrying cannot help; dead-letter or report a failure
        ├── InvalidEvent            a record that does not decode into our contract
        ├── FlexRejected            4xx from Flex with its ProblemDetails (flex/errors.py)
        └── KafkaFatal              librdkafka gave up on this client; stop and start afresh

Foreign exceptions (httpx, confluent_kafka, sqlite3, psycopg) are translated into these at the
module that speaks the protocol, so nothing above that layer imports a driver's exception.
"""

from __future__ import annotations


class FlexmitError(Exception):
    """Root of every error this service raises on purpose."""


class ConfigurationError(FlexmitError):
    """Configuration is missing or invalid; the message names the variables."""


class TransientError(FlexmitError):
    """The operation may succeed if retried later."""


class StoreUnavailable(TransientError):
    """The idempotency store could not be reached or is busy."""


class KafkaUnavailable(TransientError):
    """The broker did not acknowledge a produce or a commit."""


class PermanentError(FlexmitError):
    """Retrying the same input cannot succeed."""


class KafkaFatal(PermanentError):
    """librdkafka declared this client unusable (fenced, idempotence lost); exit and restart."""


class InvalidEvent(PermanentError):
    """A record that does not decode into our event contract."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
