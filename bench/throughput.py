"""Worker throughput against its baselines, same data, same run (issue 8, parts 1 and 5).

    .venv/bin/python -m bench.throughput                         # 20,000 events, 50 and 0 ms
    .venv/bin/python -m bench.throughput --events 5000 --latency-ms 50 --rounds 3

For every sandbox latency and round, each candidate gets the same N declines preloaded in a
fresh 12-partition topic, a fresh consumer group, store and simulator state, and runs alone:

- ``worker/sqlite``, ``worker/postgresql``: ``flexmit worker``, one process, default limits;
- ``bare``: the Flex client alone, same requests, same concurrency (``bench.bare``);
- ``sequential``: poll, call, produce, commit (``bench.sequential``), on a sample;
- ``faststream``: our handler on faststream, at-least-once (``bench.faststream_worker``), on a
  sample; ``faststream/at-most-once``: its concurrent mode, which commits on receipt.

After a worker drains the backlog, a steady load at half its rate measures end-to-end latency.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

from bench import data, report, stack
from bench.candidates import Plan
from bench.progress import Latencies
from bench.runs import Pace, Result, measure
from bench.stack import Stack
from consumer.settings import Topics


@dataclass(frozen=True)
class Candidate:
    """How to run one row: which process kind, which store, sampled or to the end."""

    kind: str
    backend: str = "sqlite"
    sampled: bool = False


CANDIDATES = {
    "bare": Candidate("bare"),
    "worker/sqlite": Candidate("worker"),
    "worker/postgresql": Candidate("worker", "postgresql"),
    "faststream/at-most-once": Candidate("faststream-amo"),
    "faststream": Candidate("faststream", sampled=True),
    "sequential": Candidate("sequential", sampled=True),
}
BASELINE = "bare"


def plan_for(box: Stack, name: str, backend: str, in_flight: int) -> Plan:
    """Fresh topics (output stamped on append), group and store for one candidate run."""
    suffix = uuid.uuid4().hex[:8]
    topics = Topics(**{key: f"bench-{suffix}-{key}" for key in Topics.model_fields})
    box.create_topics([t for k, t in topics.model_dump().items() if k != "order_status"])
    box.create_topics([topics.order_status], log_append_time=True)
    return Plan(f"{name.replace('/', '-')}-{suffix}", box.bootstrap, box.sandbox.base_url, topics,
                f"bench-{suffix}", box.store_url(backend), in_flight, box.directory)  # fmt: skip


def run_one(box: Stack, name: str, options: argparse.Namespace, latency: float) -> Result:
    """Measure candidate ``name`` once at sandbox ``latency``."""
    candidate = CANDIDATES[name]
    plan = plan_for(box, name, candidate.backend, options.in_flight)
    box.fresh_sandbox(latency)
    if candidate.kind == "bare":
        return bare_run(box, plan, options.events)
    data.preload(box.bootstrap, plan.topics.declined, data.declines(plan.name, options.events))
    cap = options.sample_seconds if candidate.sampled else options.cap_seconds
    pace = None if candidate.sampled or candidate.kind != "worker" else Pace()
    return measure(candidate.kind, plan, box.sandbox, options.events, cap, pace=pace)


def bare_run(box: Stack, plan: Plan, events: int) -> Result:
    """The bare client (``bench.bare``) over ``events`` of ``plan``, in a process of its own."""
    command = [sys.executable, "-m", "bench.bare", "--run", plan.name, "--events", str(events),
               "--in-flight", str(plan.in_flight)]  # fmt: skip
    before = box.sandbox.cpu_seconds() or 0.0
    out = subprocess.run(command, env=plan.environment(), capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench.bare failed:\n{out.stderr.decode()[-3000:]}")
    sandbox_cpu = (box.sandbox.cpu_seconds() or 0.0) - before
    got = json.loads(out.stdout.splitlines()[-1])
    nothing = Latencies(float("nan"), float("nan"), 0)
    return Result(int(got["events"]), got["seconds"], got["cpu_seconds"], sandbox_cpu,
                  got["peak_rss_mb"], nothing)  # fmt: skip


def run(box: Stack, options: argparse.Namespace) -> dict[float, dict[str, list[Result]]]:
    """Every round, latency and candidate, interleaved; results per latency and candidate."""
    names: list[str] = options.candidates.split(",")
    results: dict[float, dict[str, list[Result]]] = {
        latency: {name: [] for name in names} for latency in options.latency_ms
    }
    for round_number in range(1, options.rounds + 1):
        for latency in options.latency_ms:
            for name in names:
                started = time.perf_counter()
                result = run_one(box, name, options, latency)
                results[latency][name].append(result)
                took = time.perf_counter() - started
                print(f"  round {round_number} {latency:g} ms {name:<24} "
                      f"{report.brief(result)} ({took:.0f} s)", flush=True)  # fmt: skip
    return results


def needs_postgres(options: argparse.Namespace) -> bool:
    """Whether a candidate of ``options`` uses the PostgreSQL store."""
    return any(CANDIDATES[name].backend == "postgresql" for name in options.candidates.split(","))


def section(options: argparse.Namespace, results: dict[float, dict[str, list[Result]]]) -> str:
    """The table and the command that reproduces it."""
    table = report.throughput(results, options.in_flight, BASELINE)
    return f"{table}\nreproduce: {reproduce(options)}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="preloaded declines")
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[50.0, 0.0])
    parser.add_argument("--in-flight", type=int, default=1000, help="worker's and bare's limit")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved repetitions")
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--sample-seconds", type=float, default=10.0,
                        help="how long the sequential baselines run")  # fmt: skip
    parser.add_argument("--cap-seconds", type=float, default=300.0, help="give up after this")
    args = parser.parse_args(argv)
    names = args.candidates.split(",")
    if BASELINE not in names or not set(names) <= set(CANDIDATES):
        parser.error(f"--candidates: a subset of {','.join(CANDIDATES)} including {BASELINE}")
    return args


def reproduce(options: argparse.Namespace) -> str:
    """The command line that repeats this measurement."""
    latencies = " ".join(f"{value:g}" for value in options.latency_ms)
    return (f".venv/bin/python -m bench.throughput --events {options.events} "
            f"--latency-ms {latencies} --in-flight {options.in_flight} --rounds {options.rounds} "
            f"--candidates {options.candidates}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Measure, then print the table."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    with stack.running(needs_postgres(options)) as box:
        results = run(box, options)
    print(f"\n{section(options, results)}")


if __name__ == "__main__":
    main()
