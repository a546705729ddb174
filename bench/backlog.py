"""Memory under backlog: peak RSS with 200,000 events waiting (issue 8, part 4).

    .venv/bin/python -m bench.backlog                       # 20,000 and 200,000 waiting, 30 s
    .venv/bin/python -m bench.backlog --backlogs 200000 --seconds 120

For each backlog size the worker (SQLite, default limits) starts on a topic where the whole
backlog already waits and works for a fixed time; its resident set's high-water mark (VmHWM)
is read at the end. What bounds it is the in-flight limit (the worker pauses fetching at
``max_in_flight`` records) and librdkafka's bounded prefetch, not the backlog: the peak
should not move when the backlog grows tenfold.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench import data, stack
from bench.runs import Result, measure
from bench.stack import Stack
from bench.throughput import plan_for


def run(box: Stack, options: argparse.Namespace) -> dict[int, list[Result]]:
    """Every backlog size, interleaved over rounds."""
    results: dict[int, list[Result]] = {size: [] for size in options.backlogs}
    for round_number in range(1, options.rounds + 1):
        for size in options.backlogs:
            plan = plan_for(box, f"backlog{size}", "sqlite", options.in_flight)
            box.fresh_sandbox(options.latency_ms)
            data.preload(box.bootstrap, plan.topics.declined, data.declines(plan.name, size))
            result = measure("worker", plan, box.sandbox, size, options.seconds)
            results[size].append(result)
            print(f"  round {round_number} backlog {size:,}: peak RSS {result.peak_rss_mb:.0f} MB "
                  f"after {result.events:,} events", flush=True)  # fmt: skip
    return results


def section(options: argparse.Namespace, results: dict[int, list[Result]]) -> str:
    """Peak RSS per backlog, and its ratio to the smallest backlog's."""
    smallest = results[options.backlogs[0]]
    header = f"{'backlog':<12}{'handled':>10}{'peak RSS MB':>13}{'x smallest':>12}"
    lines = [f"memory under backlog, in-flight limit {options.in_flight}, {options.seconds:g} s",
             header, "-" * len(header)]  # fmt: skip
    for size, runs in results.items():
        handled = statistics.median(r.events for r in runs)
        rss = statistics.median(r.peak_rss_mb for r in runs)
        pairs = zip(runs, smallest, strict=True)
        ratio = statistics.median(r.peak_rss_mb / s.peak_rss_mb for r, s in pairs)
        lines.append(f"{size:<12,}{handled:>10,.0f}{rss:>13.0f}{ratio:>11.2f}x")
    return "\n".join(lines) + f"\nreproduce: {reproduce(options)}"


def reproduce(options: argparse.Namespace) -> str:
    """The command line that repeats this measurement."""
    sizes = " ".join(str(size) for size in options.backlogs)
    return (f".venv/bin/python -m bench.backlog --backlogs {sizes} --seconds {options.seconds:g} "
            f"--in-flight {options.in_flight} --rounds {options.rounds}")  # fmt: skip


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backlogs", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the worker works")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Measure, then print the table."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    with stack.running(postgres=False) as box:
        results = run(box, options)
    print(f"\n{section(options, results)}")


if __name__ == "__main__":
    main()
