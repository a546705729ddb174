"""The demo's child processes: each ``flexmit`` command it starts, with its log and its port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from consumer.devstack.ports import wait_for_port


@dataclass
class Service:
    """One running ``flexmit COMMAND`` child."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self, within: float = 30.0) -> int:
        """SIGTERM, wait, SIGKILL if it will not stop; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def tail(self, characters: int = 2000) -> str:
        """The end of its log, for error messages."""
        return self.log.read_text(errors="replace")[-characters:]


def start(
    command: str, name: str, environment: dict[str, str], logs: Path, port: int | None = None
) -> Service:
    """Start ``flexmit command`` with ``environment`` (on top of ours, FLEXMIT_* cleared)."""
    log = logs / f"{name}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FLEXMIT_")}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "consumer", command],
        env=inherited | environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl+C reaches the demo only; it stops its children itself
    )
    service = Service(name, process, log)
    if port is not None:
        alive = process.poll
        try:
            wait_for_port("127.0.0.1", port, time.monotonic() + 60, lambda: alive() is None)
        except TimeoutError:
            service.stop(5)
            raise RuntimeError(f"{name} did not start:\n{service.tail()}") from None
    return service
