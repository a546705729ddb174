"""Create the service's topics when they are missing (local broker, demo, tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from consumer.errors import KafkaUnavailable


def ensure_topics(
    config: Mapping[str, str | int | float | bool],
    names: Iterable[str],
    partitions: int = 12,
    replication_factor: int = 1,
    timeout: float = 30.0,
) -> None:
    """Create each topic in ``names`` that does not exist yet; existing ones are left alone."""
    admin = AdminClient(dict(config))
    wanted = [NewTopic(name, partitions, replication_factor) for name in dict.fromkeys(names)]
    futures = admin.create_topics(wanted, operation_timeout=timeout, request_timeout=timeout)
    for name, future in futures.items():
        try:
            future.result(timeout)
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise KafkaUnavailable(f"could not create topic {name}: {error}") from None
