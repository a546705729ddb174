"""The server a benchmark runs against: the Flex simulator in a process of its own.

A server in its own process keeps its event loop and its core apart from the client under
test; its CPU time is read from /proc so a table can say whether the server was saturated.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

_START_SECONDS = 20.0


@dataclass(frozen=True)
class Server:
    """A Flex base URL and, when this run started it, the serving process."""

    base_url: str
    process: subprocess.Popen[bytes] | None = None

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds the server process has used; None if not ours or not Linux."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def simulator_environment(port: int) -> dict[str, str]:
    """The simulator as benchmarked: no latency or faults, tokens for a day, no access log."""
    return os.environ | {
        "FLEXMIT_SANDBOX__HOST": "127.0.0.1",
        "FLEXMIT_SANDBOX__PORT": str(port),
        "FLEXMIT_SANDBOX__TOKEN_TTL": "86400",
        "FLEXMIT_SANDBOX__ACCESS_LOG": "false",
        "FLEXMIT_LOG__LEVEL": "WARNING",
    }


@contextlib.contextmanager
def simulator() -> Iterator[Server]:
    """``flexmit sandbox`` in a subprocess on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "consumer", "sandbox"]
    with _serving(command, simulator_environment(port), port) as server:
        yield server


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serving(command: list[str], env: dict[str, str], port: int) -> Iterator[Server]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for(port, process, " ".join(command))
        yield Server(f"http://127.0.0.1:{port}/v1/", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes], command: str) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited at start-up")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).raise_for_status()
            return
        time.sleep(0.05)
    raise RuntimeError("the benchmark server did not start listening")
