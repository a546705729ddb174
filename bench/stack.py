"""The real components a worker benchmark runs against: Kafka, the Flex simulator, PostgreSQL.

Each is started once per benchmark run, in processes of its own, and shared by every candidate
of that run; what one candidate leaves behind (topics, consumer groups, databases, simulator
orders) never reaches the next: each run asks for fresh names, and the simulator is reset.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from bench import servers
from bench.servers import Server
from consumer.devstack import kafka as local_kafka
from consumer.devstack import postgres as local_postgres
from consumer.sandbox.admin_client import AdminClient as SandboxAdmin

PARTITIONS = 12
_WARNINGS = 4  # librdkafka's syslog level: keep its info lines out of the report


@dataclass
class Stack:
    """A broker, the simulator and (when asked for) a PostgreSQL cluster, all running."""

    bootstrap: str
    sandbox: Server
    postgres_dsn: str | None
    directory: Path  # logs and SQLite stores of this run, deleted at the end
    admin: SandboxAdmin = field(init=False)

    def __post_init__(self) -> None:
        self.admin = SandboxAdmin(self.sandbox.base_url.removesuffix("/v1/"))

    def fresh_sandbox(self, latency_ms: float) -> None:
        """Forget every order and answer each call after ``latency_ms``."""
        self.admin.reset()
        self.admin.faults(latency_ms=latency_ms)

    def create_topics(self, names: list[str], log_append_time: bool = False) -> None:
        """Create ``names`` with 12 partitions; output topics stamp records when appended."""
        config = {"message.timestamp.type": "LogAppendTime"} if log_append_time else {}
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": _WARNINGS})
        wanted = [NewTopic(name, PARTITIONS, 1, config=config) for name in names]
        for future in admin.create_topics(wanted, operation_timeout=30).values():
            future.result(30)

    def store_url(self, backend: str) -> str:
        """A new, empty store of ``backend`` (``sqlite`` or ``postgresql``)."""
        name = f"bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.directory.absolute() / name}.db"
        if self.postgres_dsn is None:
            raise RuntimeError("this run started no PostgreSQL")
        with psycopg.connect(self.postgres_dsn, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.postgres_dsn.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def running(postgres: bool) -> Iterator[Stack]:
    """Start the broker, the simulator and, if ``postgres``, a PostgreSQL cluster."""
    broker = local_kafka.start(partitions=PARTITIONS)
    cluster = local_postgres.start() if postgres else None
    try:
        with servers.simulator() as sandbox, tempfile.TemporaryDirectory() as directory:
            dsn = cluster.dsn if cluster else None
            stack = Stack(broker.bootstrap_servers, sandbox, dsn, Path(directory))
            try:
                yield stack
            finally:
                stack.admin.close()
    finally:
        if cluster is not None:
            cluster.stop()
        broker.stop()
