"""A real single-node Apache Kafka broker (KRaft) on loopback, fetched from Maven Central.

Used by the tests, the demo and ``make run``; a user with a cluster sets
``FLEXMIT_KAFKA__BOOTSTRAP_SERVERS`` instead and none of this runs.

    python -m consumer.devstack.kafka start   # prints the bootstrap address
    python -m consumer.devstack.kafka stop
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from consumer.devstack.ports import free_port, wait_for_port

DEFAULT_HOME = Path(".cache/kafka")
_POM = "kafka-pom.xml"
_START_TIMEOUT = 90.0

_LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or stopped."""


@dataclass
class RunningBroker:
    """A broker this module started: where it listens and how to stop it."""

    bootstrap_servers: str
    pid: int
    run_dir: Path

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``) and delete its data."""
        _terminate(self.pid, timeout)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def outage(self, downtime: float) -> None:
        """Stop the broker, keep its data, stay down ``downtime`` seconds, start it again."""
        _terminate(self.pid, 30.0)
        time.sleep(downtime)
        process = _run(self.run_dir, self.run_dir.parent / "lib")
        self.pid = process.pid
        _wait_until_serving(self, process)


def fetch(home: Path = DEFAULT_HOME) -> Path:
    """Download the broker's jars once into ``home/lib`` and return that folder."""
    lib = home / "lib"
    marker = lib / ".complete"
    if marker.exists():
        return lib
    if shutil.which("mvn") is None:
        raise BrokerError("Maven (mvn) is required to fetch Kafka from Maven Central")
    home.mkdir(parents=True, exist_ok=True)
    pom = home / "pom.xml"
    pom.write_bytes(resources.files("consumer.devstack").joinpath(_POM).read_bytes())
    shutil.rmtree(lib, ignore_errors=True)
    command = [
        "mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={lib.resolve()}", "-DincludeScope=runtime",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BrokerError(f"mvn could not fetch Kafka:\n{result.stdout}\n{result.stderr}")
    marker.touch()
    return lib


def start(home: Path = DEFAULT_HOME, partitions: int = 12, attempts: int = 2) -> RunningBroker:
    """Format KRaft storage and start a broker on free loopback ports; wait until it serves."""
    lib = fetch(home)
    for attempt in range(1, attempts + 1):
        try:
            return _start_once(home, lib, partitions)
        except BrokerError:
            # Another process may take a "free" port before the broker binds it: try new ones.
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@contextlib.contextmanager
def bootstrap(configured: str | None) -> Iterator[str]:
    """``configured`` when a cluster is given; else a local broker, stopped on exit."""
    if configured:
        yield configured
        return
    broker = start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def _start_once(home: Path, lib: Path, partitions: int) -> RunningBroker:
    broker_port, controller_port = free_port(), free_port()
    run_dir = (home / f"run-{broker_port}").resolve()
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    try:
        process = _launch(run_dir, lib, broker_port, controller_port, partitions)
    except BaseException:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    broker = RunningBroker(f"127.0.0.1:{broker_port}", process.pid, run_dir)
    (run_dir / "broker.json").write_text(
        json.dumps({"bootstrap_servers": broker.bootstrap_servers, "pid": broker.pid})
    )
    try:
        _wait_until_serving(broker, process)
    except BaseException:
        broker.stop()
        raise
    return broker


def _launch(
    run_dir: Path, lib: Path, port: int, controller_port: int, partitions: int
) -> subprocess.Popen[bytes]:
    properties = run_dir / "server.properties"
    properties.write_text(_server_properties(run_dir, port, controller_port, partitions))
    log4j = run_dir / "log4j2.properties"
    log4j.write_text(_LOG4J2.format(log=run_dir / "broker.log"))
    _run_checked(
        "formatting KRaft storage",
        [*_java(lib, log4j), "kafka.tools.StorageTool", "format", "-t", _cluster_id(),
         "-c", str(properties), "--standalone"],
    )  # fmt: skip
    return _run(run_dir, lib)


def _run(run_dir: Path, lib: Path) -> subprocess.Popen[bytes]:
    java = _java(lib, run_dir / "log4j2.properties")
    with (run_dir / "stdout.log").open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [*java, "-Xms256m", "-Xmx1g", "kafka.Kafka", str(run_dir / "server.properties")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def running(home: Path = DEFAULT_HOME) -> list[RunningBroker]:
    """Brokers started from ``home`` whose process is still alive."""
    found = []
    for state in sorted(home.glob("run-*/broker.json")):
        data = json.loads(state.read_text())
        if _alive(data["pid"]):
            found.append(RunningBroker(data["bootstrap_servers"], data["pid"], state.parent))
    return found


def _server_properties(run_dir: Path, port: int, controller_port: int, partitions: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "log.dirs": str(run_dir / "data"),
        "num.partitions": str(partitions),
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Single-node development broker: rebalance at once, notice dead members quickly.
        "group.initial.rebalance.delay.ms": "0",
        "group.min.session.timeout.ms": "2000",
        "group.consumer.min.session.timeout.ms": "2000",
        "group.consumer.session.timeout.ms": "10000",
        "group.consumer.min.heartbeat.interval.ms": "500",
        "group.consumer.heartbeat.interval.ms": "1000",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _java(lib: Path, log4j: Path) -> list[str]:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None:
        raise BrokerError("Java 17 or newer is required to run the local Kafka broker")
    return [
        java,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{lib.resolve()}/*",
    ]


def _cluster_id() -> str:
    # Kafka's own format: a base64url (no padding) random UUID.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _run_checked(what: str, command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BrokerError(f"{what} failed:\n{result.stdout}\n{result.stderr}")


def _wait_until_serving(broker: RunningBroker, process: subprocess.Popen[bytes]) -> None:
    from confluent_kafka.admin import AdminClient

    host, port = broker.bootstrap_servers.rsplit(":", 1)
    deadline = time.monotonic() + _START_TIMEOUT
    wait_for_port(host, int(port), deadline, alive=lambda: process.poll() is None)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers, "log_level": 0})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            metadata = admin.list_topics(timeout=2)
        except Exception:  # noqa: BLE001 - not serving yet; any client error means "wait"
            time.sleep(0.2)
            continue
        if metadata.brokers:
            return
    log = (broker.run_dir / "stdout.log").read_text(errors="replace")[-4000:]
    raise BrokerError(f"Kafka did not start within {_START_TIMEOUT:.0f}s:\n{log}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = 0 if _alive(pid) else pid
        if finished == pid:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    """Command line: fetch, start, stop or list local brokers."""
    parser = argparse.ArgumentParser(prog="python -m consumer.devstack.kafka")
    parser.add_argument("action", choices=["fetch", "start", "stop", "status"])
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    args = parser.parse_args(argv)
    try:
        if args.action == "fetch":
            print(fetch(args.home))
        elif args.action == "start":
            print(start(args.home).bootstrap_servers)
        elif args.action == "stop":
            for broker in running(args.home):
                broker.stop()
        else:
            for broker in running(args.home):
                print(f"{broker.bootstrap_servers} pid={broker.pid}")
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
