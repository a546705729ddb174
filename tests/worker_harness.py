"""Real worker and receiver processes against the real broker, the real sandbox, a real store.

A ``Stack`` owns one test's topics (unique names), consumer group, store and sandbox, starts
``flexmit worker`` and ``flexmit webhooks`` processes with the matching environment, produces
input and reads output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient
from pydantic import BaseModel

from consumer.devstack.ports import wait_for_port
from consumer.kafka.topics import ensure_topics
from consumer.sandbox.server import RunningSandbox
from consumer.settings import Topics
from consumer.store import open_database

PARTITIONS = 6


@dataclass(frozen=True)
class Output:
    """A record read back from a topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    def json(self) -> dict[str, Any]:
        """The value parsed as JSON."""
        parsed: dict[str, Any] = json.loads(self.value or b"")
        return parsed


@dataclass
class WorkerProcess:
    """One ``flexmit worker`` process and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    def terminate(self, within: float = 60.0) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(within)

    def kill(self) -> None:
        """SIGKILL: no drain, no commit, no goodbye."""
        self.process.kill()
        self.process.wait(10)

    def output(self) -> str:
        """What the process logged so far."""
        return self.log.read_text(errors="replace")


@dataclass
class Stack:
    """The components one test runs its workers against."""

    bootstrap: str
    sandbox: RunningSandbox
    store_url: str
    name: str
    directory: Path
    topics: Topics = field(init=False)
    workers: list[WorkerProcess] = field(default_factory=list)
    receivers: list[WorkerProcess] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.topics = Topics(**{k: f"{v}-{self.name}" for k, v in Topics().model_dump().items()})
        ensure_topics({"bootstrap.servers": self.bootstrap}, self.topics.model_dump().values(),
                      partitions=PARTITIONS)  # fmt: skip

    @property
    def group(self) -> str:
        """The workers' consumer group."""
        return f"flexmit-worker-{self.name}"

    def environment(self, **extra: str) -> dict[str, str]:
        """FLEXMIT_* variables pointing a process at this stack."""
        env = {
            "FLEXMIT_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "FLEXMIT_KAFKA__GROUP_ID": self.group,
            "FLEXMIT_KAFKA__CONSUMER_EXTRA": json.dumps({"session.timeout.ms": 6000,
                                                        "heartbeat.interval.ms": 500}),
            "FLEXMIT_FLEX__BASE_URL": self.sandbox.base_url,
            "FLEXMIT_FLEX__APP_KEY": self.sandbox.app_key,
            "FLEXMIT_FLEX__APP_SECRET": self.sandbox.app_secret,
            "FLEXMIT_FLEX__MID": self.sandbox.mid,
            "FLEXMIT_FLEX__SITE_ID": self.sandbox.site_id,
            "FLEXMIT_FLEX__RETRY_BASE_SECONDS": "0.05",
            "FLEXMIT_FLEX__RETRY_CAP_SECONDS": "0.5",
            "FLEXMIT_STORE__URL": self.store_url,
            "FLEXMIT_METRICS__PORT": "0",
            "FLEXMIT_LOG__LEVEL": "INFO",
        }  # fmt: skip
        for name, topic in self.topics.model_dump().items():
            env[f"FLEXMIT_KAFKA__TOPICS__{name.upper()}"] = topic
        return env | extra

    def start_worker(self, **extra: str) -> WorkerProcess:
        """Start one more ``flexmit worker`` in the group."""
        worker = self._spawn("worker", f"worker-{len(self.workers)}", self.environment(**extra))
        self.workers.append(worker)
        return worker

    def start_receiver(self, port: int, **extra: str) -> WorkerProcess:
        """Start ``flexmit webhooks`` on loopback ``port``, accepting the sandbox's key.

        Returns once the port accepts connections; ``extra`` overrides any variable.
        """
        receiver_env = {
            "FLEXMIT_WEBHOOKS__HOST": "127.0.0.1",
            "FLEXMIT_WEBHOOKS__PORT": str(port),
            "FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS": json.dumps([self.sandbox.webhook_key]),
        }
        name = f"receiver-{len(self.receivers)}"
        receiver = self._spawn("webhooks", name, self.environment(**(receiver_env | extra)))
        self.receivers.append(receiver)
        alive = receiver.process.poll
        try:
            wait_for_port("127.0.0.1", port, time.monotonic() + 30, lambda: alive() is None)
        except TimeoutError:
            raise AssertionError(f"the receiver did not start:\n{receiver.output()}") from None
        return receiver

    def _spawn(self, command: str, name: str, environment: dict[str, str]) -> WorkerProcess:
        log = self.directory / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEXMIT_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "consumer", command],
            env=env | environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        return WorkerProcess(process, log)

    def wait_for_members(self, count: int, within: float = 60.0) -> None:
        """Wait until ``count`` workers share every partition (no rebalance pending)."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        total = PARTITIONS * 3  # the workers read approved, declined and commands

        def settled() -> bool:
            try:
                group = admin.describe_consumer_groups([self.group])[self.group].result(10)
            except KafkaException:
                return False  # the group coordinator is still loading on a fresh broker
            assigned = sum(len(m.assignment.topic_partitions) for m in group.members)
            return len(group.members) == count and assigned == total

        self.wait_until(settled, within, f"{count} workers sharing all partitions")

    def stop_all(self) -> None:
        """Terminate every process still running (kill those that do not stop)."""
        for worker in self.workers + self.receivers:
            if worker.process.poll() is None:
                try:
                    worker.terminate(30)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def produce(self, topic: str, events: Iterable[BaseModel | tuple[str, bytes]]) -> int:
        """Write events (keyed by transaction id) or raw (key, value) pairs; returns the count."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 5})
        count = 0
        for event in events:
            key, value = _key_value(event)
            producer.produce(topic, key=key, value=value)
            count += 1
            if count % 10_000 == 0:
                producer.poll(0)
        assert producer.flush(30) == 0
        return count

    def read(
        self, topic: str, enough: Callable[[list[Output]], bool], within: float = 60.0
    ) -> list[Output]:
        """Everything on ``topic`` from the start, read until ``enough(outputs)`` holds."""
        reader = Consumer({
            "bootstrap.servers": self.bootstrap,
            "group.id": f"reader-{time.time()}",
            "enable.auto.commit": False,
        })  # fmt: skip
        reader.assign([KafkaTopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        outputs: list[Output] = []
        deadline = time.monotonic() + within
        try:
            while not enough(outputs):
                if time.monotonic() > deadline:
                    raise AssertionError(f"only {len(outputs)} records on {topic}")
                for message in reader.consume(1000, 0.2):
                    if message.error() is None:
                        outputs.append(_output(message))
        finally:
            reader.close()
        return outputs

    def read_all(self, topic: str) -> list[Output]:
        """Everything on ``topic`` now: read up to each partition's current end."""
        probe = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "watermarks"})
        try:
            ends = [probe.get_watermark_offsets(KafkaTopicPartition(topic, p), timeout=10)[1]
                    for p in range(PARTITIONS)]  # fmt: skip
        finally:
            probe.close()
        total = sum(ends)
        return self.read(topic, lambda outputs: len(outputs) >= total, within=30)

    def committed_reach_end(self, topics: Sequence[str]) -> bool:
        """Whether the group's committed offsets equal the end of every partition of ``topics``."""
        return not self.commit_gaps(topics)

    def commit_gaps(self, topics: Sequence[str]) -> list[str]:
        """The partitions of ``topics`` whose committed offset is short of their end."""
        reader = Consumer({"bootstrap.servers": self.bootstrap, "group.id": self.group})
        try:
            wanted = [KafkaTopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
            gaps = []
            for tp in reader.committed(wanted, timeout=10):
                _, high = reader.get_watermark_offsets(tp, timeout=10)
                if high > 0 and tp.offset != high:
                    gaps.append(f"{tp.topic}[{tp.partition}] committed {tp.offset} of {high}")
            return gaps
        finally:
            reader.close()

    def wait_until_committed(self, topics: Sequence[str], within: float) -> None:
        """Wait until the committed offsets reach the end of ``topics``; fail naming the gaps."""

        def gaps() -> str:
            return "\n".join(self.commit_gaps(topics))

        self.wait_until(lambda: self.committed_reach_end(topics), within, "the committed end", gaps)

    def wait_until(
        self,
        condition: Callable[[], bool],
        within: float,
        what: str,
        explain: Callable[[], str] = lambda: "",
    ) -> None:
        """Poll ``condition`` until it holds; fail naming ``what``, ``explain()`` and the logs."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(w.output()[-3000:] for w in self.workers + self.receivers)
                raise AssertionError(f"timed out waiting for {what}\n{explain()}\n{logs}")
            time.sleep(0.25)

    def sandbox_summary(self) -> str:
        """Calls per endpoint at the sandbox, and the store's unfinished claims."""
        ledger = self.sandbox.admin.ledger_json()
        calls = {name: entry["calls"] for name, entry in ledger["endpoints"].items()}
        return f"sandbox calls: {calls}\nunfinished claims: {self.unfinished_claims()}"

    def unfinished_claims(self) -> list[tuple[object, ...]]:
        """Claims of this stack's store that are not done (kind, key, state, owner, attempts)."""
        database = open_database(self.store_url)
        try:
            return database.run_sync(lambda tx: tx.all(
                "SELECT kind, key, state, owner, attempts FROM claims WHERE state <> 'done'"
            ))  # fmt: skip
        finally:
            database.close()


def _key_value(event: BaseModel | tuple[str, bytes]) -> tuple[bytes, bytes]:
    if isinstance(event, tuple):
        return event[0].encode(), event[1]
    key = str(getattr(event, "transaction_id", ""))
    return key.encode(), event.model_dump_json().encode()


def _output(message: Any) -> Output:
    headers = {name: value or b"" for name, value in (message.headers() or [])}
    return Output(message.topic(), message.partition(), message.offset(), message.key(),
                  message.value(), headers)  # fmt: skip
