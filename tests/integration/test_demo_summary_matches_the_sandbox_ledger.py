"""The demo, in a short form, settles every record and its summary agrees with the sandbox."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from consumer.demo.run import DemoOptions, run
from consumer.demo.traffic import Kind


def test_short_demo_settles_everything_and_matches_the_ledger(
    kafka_bootstrap: str, unique: str, tmp_path: Path
) -> None:
    options = DemoOptions(
        events=300, rate=1000, window=6, live=False, bootstrap=kafka_bootstrap,
        topic_suffix=f"-{unique}", home=tmp_path, timeout=120,
    )  # fmt: skip
    summary = run(options, Console(file=io.StringIO()))

    assert summary.complete
    assert summary.mismatches() == []
    snapshot = summary.snapshot
    produced = snapshot.produced
    assert sum(produced.values()) == 300
    assert snapshot.transmitted == produced[Kind.APPROVED]
    assert snapshot.dead_letters == produced[Kind.MALFORMED]
    refused = produced[Kind.CUSTOMER_INITIATED] + produced[Kind.STALE] + produced[Kind.NO_TOKEN]
    assert snapshot.statuses["NOT_ELIGIBLE"] >= refused
    assert snapshot.ever_submitted == snapshot.statuses["APPROVED"] + snapshot.statuses["EXPIRED"]
    assert 0 < snapshot.statuses["APPROVED"] < snapshot.ever_submitted
    assert summary.lines[0].startswith("Done in")
    assert any(line.startswith("Rescued amounts:") and "USD" in line for line in summary.lines)
