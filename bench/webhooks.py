"""Webhook receiver: signed webhooks/s and p99 against the same server doing no work (part 3).

    .venv/bin/python -m bench.webhooks                      # 5,000 webhooks, 50 in flight
    .venv/bin/python -m bench.webhooks --count 20000 --rounds 3 --backend postgresql

Candidates, each a process of its own on a free port, interleaved over rounds:

- ``bare endpoint``: ``bench.null_receiver``, the receiver's uvicorn configuration and route
  answering 200 without verifying, storing or publishing;
- ``flexmit webhooks``: the product, on a fresh store seeded with one SUBMITTED order per
  webhook, publishing to the real broker with ``acks=all`` before it answers.

The sender (``bench.webhook_load``) is another process: signed ``order.completed`` bodies,
each for its own order, so every one is verified, applied once and published.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace

import httpx

from bench import data
from bench.processes import Measured
from bench.servers import free_port
from bench.stack import Stack, running
from bench.throughput import plan_for
from bench.webhook_load import flex_order_id
from consumer import events
from consumer.events import OrderStatus, PaymentDeclined
from consumer.processing import statuses
from consumer.settings import SANDBOX_WEBHOOK_KEY
from consumer.store import Store, open_store

BASELINE = "bare endpoint"
RECEIVER = "flexmit webhooks"


@dataclass(frozen=True)
class Sample:
    """One sender run against one server."""

    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu: float  # share of one core


def run(box: Stack, options: argparse.Namespace) -> dict[str, list[Sample]]:
    """Both candidates, interleaved over rounds."""
    results: dict[str, list[Sample]] = {BASELINE: [], RECEIVER: []}
    for round_number in range(1, options.rounds + 1):
        for name in results:
            sample = run_one(box, options, name)
            results[name].append(sample)
            print(f"  round {round_number} {name:<17} {sample.rate:7,.0f} webhooks/s  "
                  f"p99 {sample.p99_ms:5.0f} ms  server {sample.server_cpu:4.0%}",
                  flush=True)  # fmt: skip
    return results


def run_one(box: Stack, options: argparse.Namespace, name: str) -> Sample:
    """Start the server ``name``, send ``options.count`` webhooks, stop it."""
    plan = plan_for(box, "webhooks", options.backend, options.in_flight)
    port = free_port()
    extra: tuple[tuple[str, str], ...] = ()
    if name == RECEIVER:
        asyncio.run(seed(plan.store_url, plan.name, options.count))
        extra = (("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", json.dumps([SANDBOX_WEBHOOK_KEY])),
                 ("FLEXMIT_WEBHOOKS__HOST", "127.0.0.1"), ("FLEXMIT_WEBHOOKS__PORT", str(port)),
                 ("FLEXMIT_LOG__LEVEL", "WARNING"))  # fmt: skip
        command = [sys.executable, "-m", "consumer", "webhooks"]
    else:
        command = [sys.executable, "-m", "bench.null_receiver", "--port", str(port)]
    env = replace(plan, extra=extra).environment()
    server = Measured.start(command, env, box.directory / f"{plan.name}-server.log")
    try:
        _wait_serving(server, port)
        return _send(server, port, plan.name, options)
    finally:
        server.stop()


def _send(server: Measured, port: int, run_id: str, options: argparse.Namespace) -> Sample:
    url = f"http://127.0.0.1:{port}/webhooks/flex"
    command = [sys.executable, "-m", "bench.webhook_load", "--url", url, "--run", run_id,
               "--count", str(options.count), "--in-flight", str(options.in_flight)]  # fmt: skip
    cpu = server.cpu_seconds()
    out = subprocess.run(command, capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{url}:\n{out.stderr.decode()[-2000:]}\n{server.tail()}")
    got = json.loads(out.stdout.splitlines()[-1])
    server_cpu = (server.cpu_seconds() - cpu) / got["seconds"]
    return Sample(got["sent"] / got["seconds"], got["p50_ms"], got["p99_ms"], server_cpu)


def _wait_serving(server: Measured, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.tail()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not start:\n{server.tail()}")


async def seed(store_url: str, run_id: str, count: int) -> None:
    """One SUBMITTED order, with its Flex order id, per webhook the sender will send."""
    store = open_store(store_url, "bench-seed")
    try:
        batch: list[asyncio.Future[None]] = []
        for _, value in data.declines(run_id, count):
            batch.append(asyncio.ensure_future(_submitted(store, value)))
            if len(batch) == 500:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
    finally:
        store.close()


async def _submitted(store: Store, value: bytes) -> None:
    declined = events.decode(PaymentDeclined, value)
    tx, flex_id = declined.transaction_id, flex_order_id(declined.transaction_id)
    await store.begin_evaluation(tx, declined.merchant_order_id, declined.amount_minor,
                                 declined.currency)  # fmt: skip
    event = statuses.for_decline(declined, OrderStatus.SUBMITTED, declined.occurred_at,
                                 order_session_key=flex_id)  # fmt: skip
    await store.finish("evaluate", tx, event, flex_id, time.time() + 86400 * 21)


def section(options: argparse.Namespace, results: dict[str, list[Sample]]) -> str:
    """Webhooks/s, ratio to the bare endpoint (round by round), latency, server CPU."""
    bare = results[BASELINE]
    header = (f"{'server':<18}{'webhooks/s':>11}{'x bare':>8}{'p50 ms':>8}{'p99 ms':>8}"
              f"{'server CPU':>11}")  # fmt: skip
    lines = [f"webhook receiver, {options.in_flight} in flight, {options.backend} store",
             header, "-" * len(header)]  # fmt: skip
    for name, runs in results.items():
        rate = statistics.median(r.rate for r in runs)
        ratio = statistics.median(r.rate / b.rate for r, b in zip(runs, bare, strict=True))
        p50 = statistics.median(r.p50_ms for r in runs)
        p99 = statistics.median(r.p99_ms for r in runs)
        cpu = statistics.median(r.server_cpu for r in runs)
        lines.append(f"{name:<18}{rate:>11,.0f}{ratio:>7.2f}x{p50:>8.1f}{p99:>8.1f}{cpu:>11.0%}")
    return "\n".join(lines) + f"\nreproduce: {reproduce(options)}"


def reproduce(options: argparse.Namespace) -> str:
    """The command line that repeats this measurement."""
    return (
        f".venv/bin/python -m bench.webhooks --count {options.count} --in-flight "
        f"{options.in_flight} --backend {options.backend} --rounds {options.rounds}"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="webhooks per run")
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure, then print the table."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    with running(options.backend == "postgresql") as box:
        results = run(box, options)
    print(f"\n{section(options, results)}")


if __name__ == "__main__":
    main()
