"""Webhook nonces: each signed ``x-fc-nonce`` is accepted once, across every receiver replica.

A nonce only needs remembering while its ``x-fc-date`` is still inside the clock-skew window;
after that the date check refuses a replay on its own, so old nonces are pruned by age.
"""

from __future__ import annotations

from consumer.store.database import Tx


def remember(tx: Tx, nonce: str, now: float) -> bool:
    """Record ``nonce``; False when it was recorded before (a replay)."""
    row = tx.one(
        "INSERT INTO webhook_nonces (nonce, seen_at) VALUES (:nonce, :now) "
        "ON CONFLICT (nonce) DO NOTHING RETURNING nonce",
        {"nonce": nonce, "now": now},
    )
    return row is not None


def forget(tx: Tx, nonce: str) -> None:
    """Drop ``nonce`` again: its request was not processed, so a resend may reuse it."""
    tx.execute("DELETE FROM webhook_nonces WHERE nonce = :nonce", {"nonce": nonce})


def prune(tx: Tx, seen_before: float) -> int:
    """Delete nonces seen before ``seen_before``; returns how many."""
    rows = tx.all(
        "DELETE FROM webhook_nonces WHERE seen_at < :before RETURNING nonce",
        {"before": seen_before},
    )
    return len(rows)
