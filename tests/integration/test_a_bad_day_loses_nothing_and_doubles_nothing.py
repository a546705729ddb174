"""On a bad day (faults, SIGKILLs, a receiver crash, a broker outage) nothing is lost or doubled.

The short form of the reliability suite (``tests/chaos.py``); ``bench/soak.py`` runs it long.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from consumer.devstack.kafka import RunningBroker
from consumer.devstack.ports import free_port
from consumer.sandbox.server import RunningSandbox
from tests import chaos
from tests.store_fixtures import database_url
from tests.worker_harness import Stack


def test_a_bad_day_keeps_every_invariant(
    own_broker: RunningBroker,
    flex_sandbox_factory: Callable[..., RunningSandbox],
    postgres_dsn: str,
    tmp_path: Path,
    unique: str,
) -> None:
    receiver_port = free_port()
    sandbox = flex_sandbox_factory(
        time_scale=21 * 86400 / 10,  # a rescue window passes in ten seconds
        webhook_url=f"http://127.0.0.1:{receiver_port}/webhooks/flex", **chaos.SANDBOX,
    )  # fmt: skip
    with database_url("postgresql", tmp_path, postgres_dsn) as store_url:
        stack = Stack(own_broker.bootstrap_servers, sandbox, store_url, unique, tmp_path)
        try:
            stack.start_receiver(receiver_port)
            day = chaos.live_through(stack, own_broker, receiver_port, chaos.Plan())
            stack.wait_until(chaos.settled(stack, day), 180, "the day to settle",
                             chaos.explain(stack, day))  # fmt: skip
            inputs = [stack.topics.declined, stack.topics.approved, stack.topics.commands]
            # A duplicate of a settled record may still be in flight: up to a 30 s call budget
            # (held answers) and a 30 s retry backoff before it finds the work done.
            stack.wait_until_committed(inputs, 120)
            problems = chaos.violations(stack, day)
            assert problems == [], "\n".join(problems[:50])
            assert day.kills >= 5
        finally:
            stack.stop_all()
