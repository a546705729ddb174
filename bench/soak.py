"""Soak: the reliability suite's bad day (tests/chaos.py), long, with its invariants checked.

    .venv/bin/python -m bench.soak --events 30000 --minutes 10

The test command runs the same day in a short form
(tests/integration/test_a_bad_day_loses_nothing_and_doubles_nothing.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from consumer.devstack import kafka as local_kafka
from consumer.devstack import postgres as local_postgres
from consumer.devstack.ports import free_port
from consumer.sandbox.server import start_in_background
from consumer.settings import SandboxSettings
from tests import chaos
from tests.worker_harness import Stack


def main(argv: list[str] | None = None) -> int:
    """Run the long bad day; exit 1 (listing them) if any invariant breaks."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the chaos lasts")
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    plan = chaos.Plan(
        events=args.events, produce_seconds=seconds * 0.8, chaos_seconds=seconds,
        receiver_kill_at=seconds * 0.3, broker_down_at=seconds * 0.6,
    )  # fmt: skip
    broker, cluster = local_kafka.start(), local_postgres.start()
    directory = Path(tempfile.mkdtemp(prefix="flexmit-soak-"))
    receiver_port = free_port()
    sandbox = start_in_background(SandboxSettings.model_validate({
        "port": 0, "time_scale": 21 * 86400 / 10,
        "webhook_url": f"http://127.0.0.1:{receiver_port}/webhooks/flex", **chaos.SANDBOX,
    }))  # fmt: skip
    stack = Stack(broker.bootstrap_servers, sandbox, _database(cluster.dsn), uuid.uuid4().hex[:8],
                  directory)  # fmt: skip
    begun = time.monotonic()
    try:
        stack.start_receiver(receiver_port)
        day = chaos.live_through(stack, broker, receiver_port, plan)
        stack.wait_until(chaos.settled(stack, day), 600, "the day to settle",
                         chaos.explain(stack, day))  # fmt: skip
        problems = chaos.violations(stack, day)
    finally:
        stack.stop_all()
        sandbox.stop()
        broker.stop()
        cluster.stop()
    print(f"{args.events} records, {day.kills} workers killed, "
          f"{time.monotonic() - begun:.0f} s, logs in {directory}")  # fmt: skip
    for problem in problems:
        print("VIOLATION", problem)
    print("all invariants hold" if not problems else f"{len(problems)} violations")
    return 1 if problems else 0


def _database(dsn: str) -> str:
    name = f"soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return dsn.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    sys.exit(main())
