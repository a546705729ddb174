"""Before and after a change: the worker of another commit against this tree's, interleaved.

    .venv/bin/python -m bench.ab --before HEAD~1 --events 10000 --rounds 3

The other commit is checked out in a detached git worktree under ``.cache/bench-before`` (kept
for the next comparison; ``git worktree remove .cache/bench-before`` drops it); its worker runs
with that tree first on ``PYTHONPATH`` (same venv, same packages). Each round runs
the bare client, then the worker before, then the worker after, each on fresh topics, group,
store and simulator state, so a ratio to the bare client compares cells minutes apart.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from bench import data, stack
from bench.runs import Pace, Result, measure
from bench.stack import Stack
from bench.throughput import bare_run, plan_for

TREE = Path(".cache/bench-before")


def checkout(commit: str) -> Path:
    """``commit`` in the before-tree (created on first use)."""
    if not TREE.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(TREE), commit], check=True)
    subprocess.run(["git", "-C", str(TREE), "checkout", "-q", "--detach", commit], check=True)
    return TREE.absolute()


def worker(box: Stack, options: argparse.Namespace, tree: Path | None) -> Result:
    """One worker run over ``options.events``; ``tree`` first on PYTHONPATH if given."""
    plan = plan_for(box, "ab", "sqlite", 1000)
    if tree is not None:
        plan = replace(plan, extra=(("PYTHONPATH", str(tree)),))
    box.fresh_sandbox(options.latency_ms)
    data.preload(box.bootstrap, plan.topics.declined, data.declines(plan.name, options.events))
    return measure("worker", plan, box.sandbox, options.events, 300, pace=Pace())


def line(name: str, result: Result, bare: Result) -> str:
    """One cell of the round's line."""
    own = result.cpu_per_event_us - bare.cpu_per_event_us
    return (f"{name} {result.rate:5.0f}/s ({result.rate / bare.rate:.2f}x) own {own:4.0f} us "
            f"e2e {result.latency.p50:.0f}/{result.latency.p99:.0f} ms")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Measure and print one line per round."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", required=True, help="commit to compare this tree with")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    tree = checkout(options.before)
    with stack.running(postgres=False) as box:
        for _ in range(options.rounds):
            plan = plan_for(box, "bare", "sqlite", 1000)
            box.fresh_sandbox(options.latency_ms)
            bare = bare_run(box, plan, options.events)
            cells = [line(name, worker(box, options, at), bare)
                     for name, at in (("before", tree), ("after", None))]  # fmt: skip
            print(f"bare {bare.rate:5.0f}/s | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
