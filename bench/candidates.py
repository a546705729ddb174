"""The consumers a worker benchmark compares, each started as a process of its own.

Every candidate reads the same ``FLEXMIT_*`` variables as ``flexmit worker`` (topics, group,
Flex credentials, store), so one ``Plan`` configures them all; each logs ``assigned`` when
its consumer receives partitions, which is when its clock starts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import venv
from bench.processes import Measured
from consumer.settings import SandboxSettings, Topics


@dataclass(frozen=True)
class Plan:
    """Where one candidate run reads, writes and keeps its state."""

    name: str
    bootstrap: str
    flex_url: str
    topics: Topics
    group: str
    store_url: str
    in_flight: int
    directory: Path
    extra: tuple[tuple[str, str], ...] = ()

    def environment(self) -> dict[str, str]:
        """The ``FLEXMIT_*`` variables of this run (inherited ones dropped)."""
        sandbox = SandboxSettings()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLEXMIT_")} | {
            "FLEXMIT_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
            "FLEXMIT_KAFKA__GROUP_ID": self.group,
            "FLEXMIT_KAFKA__CONSUMER_EXTRA": json.dumps({"session.timeout.ms": 6000}),
            "FLEXMIT_FLEX__BASE_URL": self.flex_url,
            "FLEXMIT_FLEX__APP_KEY": sandbox.app_key.get_secret_value(),
            "FLEXMIT_FLEX__APP_SECRET": sandbox.app_secret.get_secret_value(),
            "FLEXMIT_FLEX__MID": sandbox.mid,
            "FLEXMIT_FLEX__SITE_ID": sandbox.site_id,
            "FLEXMIT_STORE__URL": self.store_url,
            "FLEXMIT_WORKER__MAX_IN_FLIGHT": str(self.in_flight),
            "FLEXMIT_METRICS__PORT": "0",
            "FLEXMIT_LOG__LEVEL": "INFO",
        }  # fmt: skip
        for name, topic in self.topics.model_dump().items():
            env[f"FLEXMIT_KAFKA__TOPICS__{name.upper()}"] = topic
        return env | dict(self.extra)


# How each candidate is started: the interpreter and module (the worker is the product itself).
COMMANDS: dict[str, Callable[[Plan], list[str]]] = {
    "worker": lambda plan: [sys.executable, "-m", "consumer", "worker"],
    "sequential": lambda plan: [sys.executable, "-m", "bench.sequential"],
    "faststream": lambda plan: [str(venv.python()), "-m", "bench.faststream_worker"],
    "faststream-amo": lambda plan: [
        str(venv.python()),
        "-m",
        "bench.faststream_worker",
        "--at-most-once",
        str(plan.in_flight),
    ],
}


def start(kind: str, plan: Plan, number: int = 0) -> Measured:
    """Start process ``number`` of candidate ``kind`` for ``plan``."""
    log = plan.directory / f"{plan.name}-{number}.log"
    return Measured.start(COMMANDS[kind](plan), plan.environment(), log)


def assigned(process: Measured) -> bool:
    """Whether the process has logged receiving partitions."""
    return "assigned " in process.log.read_text(errors="replace")
