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

from bench import backlog, scaling, stack, throughput, webhooks
from bench.stack import Stack

Part = Callable[[Stack, list[str]], str]


def _throughput(box: Stack, argv: list[str]) -> str:
    options = throughput.parse_args(argv)
    return throughput.section(options, throughput.run(box, options))


def _scaling(box: Stack, argv: list[str]) -> str:
    options = scaling.parse_args(argv)
    return scaling.section(options, scaling.run(box, options))


def _backlog(box: Stack, argv: list[str]) -> str:
    options = backlog.parse_args(argv)
    return backlog.section(options, backlog.run(box, options))


def _webhooks(box: Stack, argv: list[str]) -> str:
    options = webhooks.parse_args(argv)
    return webhooks.section(options, webhooks.run(box, options))


PARTS: dict[str, Part] = {
    "throughput": _throughput,
    "scaling": _scaling,
    "webhooks": _webhooks,
    "backlog": _backlog,
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
