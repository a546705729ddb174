"""Tables of the worker benchmarks: medians over rounds, ratios taken round by round.

A ratio is computed between cells of the same round (measured minutes apart, on the same
machine state) and then the median of those ratios is shown, so a neighbour's burst during
one round moves one sample, not the whole comparison.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from bench.runs import Result

_HEADER = (
    f"{'candidate':<24}{'events/s':>10}{'x bare':>8}{'x Little':>9}{'CPU s/1k':>9}"
    f"{'own us/ev':>10}{'e2e p50/p99 ms':>16}{'RSS MB':>8}{'sandbox':>9}"
)


def brief(result: Result) -> str:
    """One line of progress output."""
    sandbox = result.sandbox_cpu_seconds / result.seconds
    machine = f"  machine {result.machine_busy:4.0%}" if result.machine_busy else ""
    return (f"{result.rate:8,.0f} ev/s  {result.cpu_per_event_us:6.0f} us CPU/ev  "
            f"{result.peak_rss_mb:5.0f} MB  sandbox {sandbox:4.0%}{machine}")  # fmt: skip


def throughput(results: dict[float, dict[str, list[Result]]], in_flight: int,
               baseline: str) -> str:  # fmt: skip
    """One block per sandbox latency: every candidate against the baseline of its round."""
    blocks = []
    for latency, rows in results.items():
        ceiling = in_flight / (latency / 1000) if latency > 0 else math.inf
        title = f"sandbox latency {latency:g} ms, Little's-law ceiling "
        title += f"{ceiling:,.0f} events/s" if latency > 0 else "unbounded"
        lines = [title, _HEADER, "-" * len(_HEADER)]
        bare = rows[baseline]
        lines += [_row(name, runs, bare, ceiling, name == baseline) for name, runs in rows.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _row(name: str, runs: list[Result], bare: list[Result], ceiling: float,
         is_baseline: bool) -> str:  # fmt: skip
    rate = _median(runs, lambda r: r.rate)
    ratio = statistics.median(r.rate / b.rate for r, b in zip(runs, bare, strict=True))
    little = "-" if math.isinf(ceiling) else f"{rate / ceiling:.3f}"
    cpu = _median(runs, lambda r: r.cpu_seconds / r.events * 1000)
    own = "-"
    if not is_baseline and runs[0].latency.count:
        own = f"{statistics.median(_own(r, b) for r, b in zip(runs, bare, strict=True)):.0f}"
    lat = "-"
    if runs[0].latency.count:
        p50, p99 = _median(runs, lambda r: r.latency.p50), _median(runs, lambda r: r.latency.p99)
        lat = f"{p50:.0f} / {p99:.0f}"
    rss = _median(runs, lambda r: r.peak_rss_mb)
    box = _median(runs, lambda r: r.sandbox_cpu_seconds / r.seconds)
    spread = _spread([r.rate for r in runs])
    return (f"{name:<24}{rate:>10,.0f}{ratio:>7.2f}x{little:>9}{cpu:>9.2f}{own:>10}{lat:>16}"
            f"{rss:>8.0f}{box:>9.0%}{spread}")  # fmt: skip


def _own(run: Result, bare: Result) -> float:
    """CPU per event beyond what the bare client spent per call: the worker's own share."""
    return run.cpu_per_event_us - bare.cpu_per_event_us


def _median(runs: Sequence[Result], value: Callable[[Result], float]) -> float:
    return statistics.median(value(run) for run in runs)


def _spread(rates: list[float]) -> str:
    if len(rates) < 2:
        return ""
    return f"  (rounds {min(rates):,.0f}..{max(rates):,.0f})"
