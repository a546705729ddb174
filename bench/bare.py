"""Baseline (b): the bare Flex client firing the worker's evaluations, without Kafka or a store.

The requests are the ones the worker would send for the same events (built before the clock
starts); ``--in-flight`` loops send them through ``FlexClient.evaluate`` on the transport the
worker uses. What this process reaches is the practical ceiling of the worker: everything the
worker does beyond it costs throughput. Prints one JSON line: events, seconds, CPU seconds,
peak RSS and per-call latency percentiles.

    FLEXMIT_FLEX__... .venv/bin/python -m bench.bare --run RUN --events 20000 --in-flight 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import data
from consumer import events, settings
from consumer.eventloop import run
from consumer.events import PaymentDeclined
from consumer.flex import FlexClient
from consumer.flex.models import EvaluateRequest
from consumer.processing.requests import evaluate_request


def requests(run_id: str, count: int, window: timedelta) -> list[EvaluateRequest]:
    """The /evaluate bodies of the benchmark's events, as the worker builds them."""
    built = []
    for _, value in data.declines(run_id, count):
        declined = events.decode(PaymentDeclined, value)
        built.append(evaluate_request(declined, declined.occurred_at + window, 0))
    return built


async def fire(flex: FlexClient, bodies: list[EvaluateRequest], in_flight: int) -> list[float]:
    """Send every body with ``in_flight`` concurrent loops; returns each call's seconds."""
    pending = iter(bodies)
    took: list[float] = []

    async def loop() -> None:
        for body in pending:
            started = time.perf_counter()
            await flex.evaluate(body)
            took.append(time.perf_counter() - started)

    await asyncio.gather(*(loop() for _ in range(in_flight)))
    return took


async def main(run_id: str, count: int, in_flight: int) -> dict[str, float]:
    """Build, warm up (token, connections), then measure one pass over every request."""
    config = settings.load(settings.WorkerCommandSettings)
    bodies = requests(run_id, count, config.worker.rescue_window)
    async with FlexClient.open(config.flex) as flex:
        await flex.evaluate(bodies[0])
        started, cpu = time.perf_counter(), time.process_time()
        took = sorted(await fire(flex, bodies, in_flight))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"events": len(took), "seconds": seconds, "cpu_seconds": cpu,
            "peak_rss_mb": _peak_rss(), "call_p50_ms": took[len(took) // 2] * 1000,
            "call_p99_ms": took[len(took) * 99 // 100] * 1000}  # fmt: skip


def _peak_rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--run", required=True, help="the run id the events were made with")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=1000)
    args = parser.parse_args(sys.argv[1:])
    print(json.dumps(run(main(args.run, args.events, args.in_flight))), flush=True)
