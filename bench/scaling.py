"""Scaling: 1, 2 and 4 ``flexmit worker`` processes in one group (issue 8, part 2).

    .venv/bin/python -m bench.scaling                    # 20,000 events, 50 ms, PostgreSQL
    .venv/bin/python -m bench.scaling --processes 1 2 --rounds 3 --backend sqlite

The processes start on an empty topic; once every one has joined the group and the
incremental rebalances have settled, the N events are written in one burst and the clock
runs from the burst to the last commit. (Preloading instead would let the first process to
join work alone while the others start up, which measures start-up, not scaling.) The store
is PostgreSQL by default, the backend meant for several workers. The machine's CPU, shared
by the workers, the broker, the simulator and the database, is reported beside each row.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench import data, stack
from bench.runs import Result, measure
from bench.stack import Stack
from bench.throughput import plan_for


def run(box: Stack, options: argparse.Namespace) -> dict[int, list[Result]]:
    """Every process count, interleaved over rounds."""
    results: dict[int, list[Result]] = {count: [] for count in options.processes}
    for round_number in range(1, options.rounds + 1):
        for count in options.processes:
            result = run_one(box, options, count)
            results[count].append(result)
            print(f"  round {round_number} {count} worker(s): {result.rate:8,.0f} events/s",
                  flush=True)  # fmt: skip
    return results


def run_one(box: Stack, options: argparse.Namespace, processes: int) -> Result:
    """``processes`` workers over a burst of ``options.events``."""
    plan = plan_for(box, f"scale{processes}", options.backend, options.in_flight)
    box.fresh_sandbox(options.latency_ms)
    records = list(data.declines(plan.name, options.events))

    def burst() -> int:
        return data.preload(box.bootstrap, plan.topics.declined, iter(records))

    return measure("worker", plan, box.sandbox, options.events, options.cap_seconds,
                   processes=processes, burst=burst)  # fmt: skip


def section(options: argparse.Namespace, results: dict[int, list[Result]]) -> str:
    """Events/s, ratio to one process (round by round), and how busy the machine was."""
    one = results[options.processes[0]]
    header = f"{'workers':<10}{'events/s':>10}{'x 1 worker':>12}{'CPU s/1k':>10}{'machine':>9}"
    lines = [f"scaling at {options.latency_ms:g} ms, {options.backend} store", header,
             "-" * len(header)]  # fmt: skip
    for count, runs in results.items():
        rate = statistics.median(r.rate for r in runs)
        ratio = statistics.median(r.rate / b.rate for r, b in zip(runs, one, strict=True))
        cpu = statistics.median(r.cpu_seconds / r.events * 1000 for r in runs)
        busy = statistics.median(r.machine_busy for r in runs)
        lines.append(f"{count:<10}{rate:>10,.0f}{ratio:>11.2f}x{cpu:>10.2f}{busy:>9.0%}")
    return "\n".join(lines) + f"\nreproduce: {reproduce(options)}"


def reproduce(options: argparse.Namespace) -> str:
    """The command line that repeats this measurement."""
    counts = " ".join(str(count) for count in options.processes)
    return (f".venv/bin/python -m bench.scaling --events {options.events} --latency-ms "
            f"{options.latency_ms:g} --processes {counts} --backend {options.backend} "
            f"--rounds {options.rounds}")  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cap-seconds", type=float, default=300.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure, then print the table."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    with stack.running(options.backend == "postgresql") as box:
        results = run(box, options)
    print(f"\n{section(options, results)}  ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
