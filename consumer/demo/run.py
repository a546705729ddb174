"""``flexmit demo``: the whole product on embedded defaults, fed realistic traffic, then a summary.

It starts a local Kafka broker, the Flex sandbox (time compressed: a 21-day rescue window
passes in ``window`` seconds), the webhook receiver and ``workers`` workers on a fresh SQLite
store, produces subscription traffic, shows live progress, checks the figures against the
sandbox's ledger, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from rich.console import Console
from rich.live import Live

from consumer.demo import display, services
from consumer.demo.tally import Snapshot, Tally
from consumer.demo.traffic import Kind, generate
from consumer.devstack import kafka as local_kafka
from consumer.devstack.ports import free_port
from consumer.events import OrderStatusChanged
from consumer.kafka.topics import ensure_topics
from consumer.sandbox.admin_client import AdminClient
from consumer.settings import SANDBOX_WEBHOOK_KEY, SandboxSettings, Topics

_WINDOW_DAYS = 21


@dataclass(frozen=True)
class DemoOptions:
    """The demo's knobs (``flexmit demo --help``)."""

    events: int = 2000
    rate: float = 400.0
    workers: int = 2
    window: float = 20.0
    rescue_rate: float = 0.5
    fault_rate: float = 0.0
    seed: int = 7
    timeout: float = 300.0
    live: bool = True
    bootstrap: str | None = None
    topic_suffix: str = ""
    home: Path = Path(".cache/demo")


@dataclass(frozen=True)
class Summary:
    """How the run ended, and the sandbox's own account of it."""

    complete: bool
    snapshot: Snapshot
    ledger: dict[str, Any]
    lines: list[str] = field(default_factory=list)

    def mismatches(self) -> list[str]:
        """Figures of the summary the sandbox's ledger does not confirm."""
        ledger, snap = self.ledger, self.snapshot
        completed = sum(1 for o in ledger["orders"].values() if o["statusName"] == "COMPLETED")
        checks = {
            "declines submitted": (snap.ever_submitted, len(ledger["evaluations"]["byOrderId"])),
            "rescued": (snap.statuses["APPROVED"], completed),
            "approvals transmitted": (snap.transmitted, len(ledger["transmits"])),
        }
        return [f"{name}: summary {ours}, sandbox {theirs}"
                for name, (ours, theirs) in checks.items() if ours != theirs]  # fmt: skip


def run(options: DemoOptions, console: Console | None = None) -> Summary:
    """Run the demo to its end (or its timeout) and return the summary; stops all it started."""
    console = console or Console()
    workdir = options.home / datetime.now(UTC).strftime("run-%Y%m%d-%H%M%S-%f")
    workdir.mkdir(parents=True, exist_ok=True)
    with local_kafka.bootstrap(options.bootstrap) as bootstrap, contextlib.ExitStack() as stack:
        topics = Topics(**{k: v + options.topic_suffix for k, v in Topics().model_dump().items()})
        ensure_topics({"bootstrap.servers": bootstrap}, topics.model_dump().values())
        started = _start_services(options, bootstrap, topics, workdir)
        stack.callback(_stop, started.services)
        return _drive(options, bootstrap, topics, started, console)


@dataclass
class _Started:
    services: list[services.Service]
    sandbox_url: str
    metrics: list[str]


def _start_services(
    options: DemoOptions, bootstrap: str, topics: Topics, workdir: Path
) -> _Started:
    sandbox_port, receiver_port = free_port(), free_port()
    sandbox = SandboxSettings()
    common = _environment(bootstrap, topics, workdir, sandbox, sandbox_port)
    started: list[services.Service] = []
    try:
        started.append(services.start("sandbox", "sandbox", common | {
            "FLEXMIT_SANDBOX__PORT": str(sandbox_port),
            "FLEXMIT_SANDBOX__TIME_SCALE": str(_WINDOW_DAYS * 86400 / options.window),
            "FLEXMIT_SANDBOX__RESCUE_RATE": str(options.rescue_rate),
            "FLEXMIT_SANDBOX__WEBHOOK_URL": f"http://127.0.0.1:{receiver_port}/webhooks/flex",
            "FLEXMIT_SANDBOX__FAULTS__ERROR_503_RATE": str(options.fault_rate),
        }, workdir, sandbox_port))  # fmt: skip
        started.append(services.start("webhooks", "receiver", common | {
            "FLEXMIT_WEBHOOKS__HOST": "127.0.0.1",
            "FLEXMIT_WEBHOOKS__PORT": str(receiver_port),
            "FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS": json.dumps([SANDBOX_WEBHOOK_KEY]),
        }, workdir, receiver_port))  # fmt: skip
        metrics = [f"http://127.0.0.1:{receiver_port}/metrics"]
        for number in range(options.workers):
            port = free_port()
            started.append(services.start("worker", f"worker-{number}", common | {
                "FLEXMIT_METRICS__HOST": "127.0.0.1", "FLEXMIT_METRICS__PORT": str(port),
                "FLEXMIT_WORKER__RETRY_BASE": "PT1S", "FLEXMIT_WORKER__RETRY_CAP": "PT5S",
            }, workdir, port))  # fmt: skip
            metrics.append(f"http://127.0.0.1:{port}/metrics")
    except BaseException:
        _stop(started)
        raise
    return _Started(started, f"http://127.0.0.1:{sandbox_port}", metrics)


def _environment(
    bootstrap: str, topics: Topics, workdir: Path, sandbox: SandboxSettings, port: int
) -> dict[str, str]:
    env = {
        "FLEXMIT_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "FLEXMIT_STORE__URL": f"sqlite:///{(workdir / 'flexmit.db').resolve()}",
        "FLEXMIT_FLEX__BASE_URL": f"http://127.0.0.1:{port}/v1/",
        "FLEXMIT_FLEX__APP_KEY": sandbox.app_key.get_secret_value(),
        "FLEXMIT_FLEX__APP_SECRET": sandbox.app_secret.get_secret_value(),
        "FLEXMIT_FLEX__MID": sandbox.mid,
        "FLEXMIT_FLEX__SITE_ID": sandbox.site_id,
        "FLEXMIT_FLEX__RETRY_BASE_SECONDS": "0.05",
        "FLEXMIT_FLEX__RETRY_CAP_SECONDS": "0.5",
    }
    for name, topic in topics.model_dump().items():
        env[f"FLEXMIT_KAFKA__TOPICS__{name.upper()}"] = topic
    return env


def _drive(
    options: DemoOptions, bootstrap: str, topics: Topics, started: _Started, console: Console
) -> Summary:
    tally, stop = Tally(), threading.Event()
    admin = AdminClient(started.sandbox_url)
    readers = [
        threading.Thread(target=_read_outputs, args=(bootstrap, topics, tally, stop), daemon=True),
        threading.Thread(target=_produce, args=(options, bootstrap, topics, tally, stop),
                         daemon=True),
    ]  # fmt: skip
    for thread in readers:
        thread.start()
    begun = time.monotonic()
    try:
        complete = _watch(options, tally, admin, begun, console, readers[1])
        ledger = admin.ledger_json()
    finally:
        stop.set()
        admin.close()
    snapshot = tally.snapshot()
    lines = display.summary_lines(snapshot, time.monotonic() - begun, started.metrics)
    return Summary(complete, snapshot, ledger, lines)


def _watch(
    options: DemoOptions,
    tally: Tally,
    admin: AdminClient,
    begun: float,
    console: Console,
    producer: threading.Thread,
) -> bool:
    deadline = begun + options.timeout
    with Live(console=console, refresh_per_second=4, transient=not options.live) as live:
        while time.monotonic() < deadline:
            tally.transmitted(len(admin.ledger_json()["transmits"]))
            snapshot = tally.snapshot()
            if options.live:
                live.update(display.live_table(snapshot, time.monotonic() - begun))
            if not producer.is_alive() and _finished(snapshot):
                return True
            time.sleep(0.5)
    return False


def _finished(snapshot: Snapshot) -> bool:
    produced = snapshot.produced
    return (
        snapshot.unsettled == 0
        and snapshot.transmitted >= produced[Kind.APPROVED]
        and snapshot.dead_letters >= produced[Kind.MALFORMED]
    )


def _produce(
    options: DemoOptions, bootstrap: str, topics: Topics, tally: Tally, stop: threading.Event
) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    names = {"approved": topics.approved, "declined": topics.declined}
    begun = time.monotonic()
    for index, record in enumerate(generate(options.events, options.seed, datetime.now(UTC))):
        if stop.is_set():
            break
        awaited = record.kind not in (Kind.APPROVED, Kind.MALFORMED)
        tally.expect(record.kind, record.key if awaited else None)
        producer.produce(names[record.topic], key=record.key.encode(), value=record.value)
        producer.poll(0)
        ahead = begun + (index + 1) / options.rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    producer.flush(30)


def _read_outputs(bootstrap: str, topics: Topics, tally: Tally, stop: threading.Event) -> None:
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"demo-{time.time_ns()}",
                       "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    reader.subscribe([topics.order_status, topics.dead_letter])
    try:
        while not stop.is_set():
            messages = [m for m in reader.consume(500, 0.2) if m.error() is None]
            statuses = [OrderStatusChanged.model_validate_json(m.value() or b"") for m in messages
                        if m.topic() == topics.order_status]  # fmt: skip
            tally.statuses(statuses)
            tally.dead_lettered(len(messages) - len(statuses))
    finally:
        reader.close()


def _stop(started: list[services.Service]) -> None:
    # Workers first (they drain into Kafka), then the receiver, then the sandbox.
    for service in reversed(started):
        service.stop()
