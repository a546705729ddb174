"""The demo's terminal output: a live table while it runs, a summary at the end."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from consumer.demo.tally import Snapshot
from consumer.demo.traffic import Kind


def live_table(snapshot: Snapshot, elapsed: float) -> Table:
    """What happened so far, one row per figure."""
    produced = sum(snapshot.produced.values())
    statuses = snapshot.statuses
    table = Table(title=f"flexmit demo - {elapsed:5.1f} s", show_header=False, min_width=44)
    table.add_column("figure")
    table.add_column("count", justify="right")
    rows = [
        ("records produced", produced),
        ("approvals transmitted to Flex", snapshot.transmitted),
        ("declines submitted to Flex", snapshot.ever_submitted),
        ("  waiting at Flex", statuses["SUBMITTED"]),
        ("  rescued (order.completed)", statuses["APPROVED"]),
        ("  not rescued (order.expired)", statuses["EXPIRED"]),
        ("refused (not eligible)", statuses["NOT_ELIGIBLE"]),
        ("failed", statuses["FAILED"]),
        ("dead-lettered", snapshot.dead_letters),
    ]
    for label, count in rows:
        table.add_row(label, str(count))
    return table


def summary_lines(snapshot: Snapshot, elapsed: float, endpoints: Sequence[str]) -> list[str]:
    """The closing summary."""
    produced = snapshot.produced
    submitted = snapshot.ever_submitted
    rescued = snapshot.statuses["APPROVED"]
    rate = f"{rescued / submitted:.0%}" if submitted else "n/a"
    rescued_amounts = ", ".join(
        f"{amount} {currency}" for currency, amount in snapshot.rescued_by_currency.items()
    )
    return [
        f"Done in {elapsed:.1f} s: {sum(produced.values())} records "
        + ", ".join(f"{produced[kind]} {kind.value.replace('_', ' ')}" for kind in Kind),
        f"Approvals transmitted to Flex: {snapshot.transmitted} of {produced[Kind.APPROVED]}",
        f"Declines submitted to Flex: {submitted}; rescued {rescued}, not rescued "
        f"{snapshot.statuses['EXPIRED']}: rescue rate {rate}",
        f"Rescued amounts: {rescued_amounts or 'none'}",
        f"Refused as not eligible: {snapshot.statuses['NOT_ELIGIBLE']}; failed: "
        f"{snapshot.statuses['FAILED']}; dead-lettered: {snapshot.dead_letters}",
        "Metrics were served at: " + ", ".join(endpoints),
    ]
