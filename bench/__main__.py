"""Every worker benchmark on one broker, simulator and PostgreSQL; one report at the end.

    .venv/bin/python -m bench                   # or: make bench   (about ten minutes)
    .venv/bin/python -m bench --events 5000 --parts throughput,backlog

Each part is also a module of its own (``bench.throughput``, ``bench.scaling``,
``bench.webhooks``, ``bench.backlog``); each section of the report ends with the command that
repeats it alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from bench import backlog, scaling, stack, throughput, webhooks
from bench.stack import Stack

Part = Callable[[Stack, list[str]], str]
R = TypeVar("R")


def _part(
    parse: Callable[[list[str]], argparse.Namespace],
    run: Callable[[Stack, argparse.Namespace], R],
    section: Callable[[argparse.Namespace, R], str],
) -> Part:
    """A part of the report from a bench module's three functions."""

    def part(box: Stack, argv: list[str]) -> str:
        options = parse(argv)
        return section(options, run(box, options))

    return part


PARTS: dict[str, Part] = {
    "throughput": _part(throughput.parse_args, throughput.run, throughput.section),
    "scaling": _part(scaling.parse_args, scaling.run, scaling.section),
    "webhooks": _part(webhooks.parse_args, webhooks.run, webhooks.section),
    "backlog": _part(backlog.parse_args, backlog.run, backlog.section),
}


def main(argv: list[str] | None = None) -> None:
    """Run the chosen parts in order and print their sections together."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="throughput and scaling")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved repetitions")
    parser.add_argument("--parts", default=",".join(PARTS))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    shared = [f"--rounds={args.rounds}"]
    sections = []
    started = time.perf_counter()
    with stack.running(postgres=True) as box:
        for name in args.parts.split(","):
            print(f"{name}:", flush=True)
            events = [f"--events={args.events}"] if name in ("throughput", "scaling") else []
            sections.append(PARTS[name](box, shared + events))
    minutes = (time.perf_counter() - started) / 60
    report = "\n\n".join(sections)
    print(f"\n{report}\n\n(all parts: {minutes:.1f} min)")


if __name__ == "__main__":
    main()
