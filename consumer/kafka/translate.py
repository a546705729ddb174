"""librdkafka's errors, translated into our tree at the one place that sees them.

A ``KafkaError`` flagged fatal means librdkafka gave up on the client instance (a fenced static
member, an idempotent producer that lost its sequence): ``KafkaFatal``, a permanent error.
Anything else (broker down, timeouts, rebalance in progress) may pass: ``KafkaUnavailable``.
"""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

from consumer.errors import KafkaFatal, KafkaUnavailable


def from_error(error: KafkaError, doing: str) -> KafkaUnavailable | KafkaFatal:
    """Our exception for ``error``, met while ``doing`` something (e.g. "commit")."""
    message = f"{doing} failed: {error.name()}: {error.str()}"
    # Records failed because of an earlier fatal error carry _FATAL without the fatal flag.
    fatal = error.fatal() or error.code() == KafkaError._FATAL
    return KafkaFatal(message) if fatal else KafkaUnavailable(message)


def from_exception(exc: KafkaException, doing: str) -> KafkaUnavailable | KafkaFatal:
    """Our exception for a ``KafkaException`` raised by a librdkafka call."""
    return from_error(kafka_error(exc), doing)


def kafka_error(exc: KafkaException) -> KafkaError:
    """The ``KafkaError`` a ``KafkaException`` carries (``_FAIL`` if it carries none)."""
    error = exc.args[0] if exc.args else None
    return error if isinstance(error, KafkaError) else KafkaError(KafkaError._FAIL, str(exc))
