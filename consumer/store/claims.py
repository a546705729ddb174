"""Claims: who is causing which effect, so each effect happens once per key.

A worker claims ``(kind, key)`` before calling Flex and completes the claim, with the result
it published, after. A second attempt finds the claim DONE and re-publishes that result; a
claim whose owner stopped heart-beating (crashed, or frozen past its lease) is taken over.
Flex's side of a takeover is safe because every evaluate carries a stable idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consumer.errors import TransientError
from consumer.store.database import Tx


class ClaimState(StrEnum):
    """What ``claim`` found."""

    NEW = "new"  # first attempt: go ahead
    RESUMED = "resumed"  # an earlier attempt died, was ours, or was refused: go ahead
    DONE = "done"  # finished before: re-publish ``outcome``
    BUSY = "busy"  # a live worker is on it: wait and ask again
    SCHEDULED = "scheduled"  # parked for a store-driven retry: nothing to do now


@dataclass(frozen=True)
class Claim:
    """The answer to a claim."""

    state: ClaimState
    attempts: int = 0
    outcome: str | None = None
    generation: int = 0  # part of Flex idempotency keys: a new one only after a refusal


@dataclass(frozen=True)
class DueJob:
    """A parked retry, now claimed by the caller."""

    kind: str
    key: str
    payload: str
    attempts: int
    deadline: float | None


_OWNER_ALIVE = (
    "EXISTS (SELECT 1 FROM owners o WHERE o.owner = claims.owner "
    "AND o.heartbeat_at >= :stale_before)"
)


def claim(
    tx: Tx, kind: str, key: str, owner: str, now: float, lease_until: float, stale_before: float
) -> Claim:
    """Take ``(kind, key)`` for ``owner`` unless it is done, parked, or held by a live owner."""
    row = tx.one(
        "INSERT INTO claims (kind, key, state, owner, lease_until, attempts, updated_at) "
        "VALUES (:kind, :key, 'in_progress', :owner, :lease_until, 1, :now) "
        "ON CONFLICT (kind, key) DO UPDATE SET state = 'in_progress', owner = excluded.owner, "
        "lease_until = excluded.lease_until, attempts = claims.attempts + 1, "
        "generation = claims.generation + (CASE WHEN claims.state = 'failed' THEN 1 ELSE 0 END), "
        "updated_at = excluded.updated_at "
        "WHERE claims.state = 'failed' OR (claims.state = 'in_progress' AND ("
        "claims.owner = excluded.owner OR claims.lease_until < excluded.updated_at "
        f"OR NOT {_OWNER_ALIVE})) "
        "RETURNING attempts, generation",
        {"kind": kind, "key": key, "owner": owner, "now": now,
         "lease_until": lease_until, "stale_before": stale_before},
    )  # fmt: skip
    if row is not None:
        attempts, generation = int(row[0]), int(row[1])
        fresh = ClaimState.NEW if attempts == 1 else ClaimState.RESUMED
        return Claim(fresh, attempts, generation=generation)
    found, attempts, outcome = _current(tx, kind, key)
    if found == "done":
        return Claim(ClaimState.DONE, attempts, outcome)
    return Claim(ClaimState.SCHEDULED if found == "retry" else ClaimState.BUSY, attempts)


def complete(tx: Tx, kind: str, key: str, owner: str, outcome: str | None, now: float) -> Claim:
    """Mark the claim done with its result; if another owner finished first, return theirs."""
    row = tx.one(
        "UPDATE claims SET state = 'done', outcome = :outcome, owner = NULL, payload = NULL, "
        "updated_at = :now WHERE kind = :kind AND key = :key AND state = 'in_progress' "
        "AND owner = :owner RETURNING attempts",
        {"kind": kind, "key": key, "owner": owner, "outcome": outcome, "now": now},
    )
    if row is not None:
        return Claim(ClaimState.DONE, int(row[0]), outcome)
    state, attempts, recorded = _current(tx, kind, key)
    if state == "done":
        return Claim(ClaimState.DONE, attempts, recorded)
    raise ClaimLost(f"{kind} {key} is no longer claimed by this worker")


def fail(tx: Tx, kind: str, key: str, owner: str, outcome: str | None, now: float) -> None:
    """Flex refused the effect for good: record why; a later attempt reopens the claim."""
    tx.execute(
        "UPDATE claims SET state = 'failed', outcome = :outcome, owner = NULL, payload = NULL, "
        "updated_at = :now WHERE kind = :kind AND key = :key AND owner = :owner",
        {"kind": kind, "key": key, "owner": owner, "outcome": outcome, "now": now},
    )


def park(
    tx: Tx, kind: str, key: str, owner: str, payload: str, due: float, deadline: float, now: float
) -> None:
    """Park a claim for a store-driven retry at ``due`` (the input is kept until then)."""
    tx.execute(
        "UPDATE claims SET state = 'retry', owner = NULL, lease_until = :due, payload = :payload, "
        "deadline = COALESCE(deadline, :deadline), updated_at = :now "
        "WHERE kind = :kind AND key = :key AND state = 'in_progress' AND owner = :owner",
        {"kind": kind, "key": key, "owner": owner, "payload": payload, "due": due,
         "deadline": deadline, "now": now},
    )  # fmt: skip


def take_due(
    tx: Tx, owner: str, now: float, lease_until: float, stale_before: float, limit: int
) -> list[DueJob]:
    """Claim up to ``limit`` parked retries that are due, and retries whose runner died."""
    rows = tx.all(
        "UPDATE claims SET state = 'in_progress', owner = :owner, lease_until = :lease_until, "
        "attempts = attempts + 1, updated_at = :now WHERE (kind, key) IN ("
        "SELECT kind, key FROM claims WHERE payload IS NOT NULL AND ("
        "(state = 'retry' AND lease_until <= :now) OR (state = 'in_progress' AND "
        f"(lease_until < :now OR NOT {_OWNER_ALIVE}))) "
        f"ORDER BY lease_until LIMIT :limit {tx.dialect.skip_locked}) "
        "RETURNING kind, key, payload, attempts, deadline",
        {"owner": owner, "now": now, "lease_until": lease_until,
         "stale_before": stale_before, "limit": limit},
    )  # fmt: skip
    return [DueJob(str(k), str(key), str(p), int(a), d) for k, key, p, a, d in rows]


def release(tx: Tx, kind: str, key: str, owner: str) -> None:
    """Give up an unfinished claim (its work was abandoned) so another owner may take it now."""
    tx.execute(
        "UPDATE claims SET lease_until = 0 WHERE kind = :kind AND key = :key "
        "AND state = 'in_progress' AND owner = :owner",
        {"kind": kind, "key": key, "owner": owner},
    )


def heartbeat(tx: Tx, owner: str, now: float) -> None:
    """Say ``owner`` is alive; claims of owners silent for too long can be taken over."""
    tx.execute(
        "INSERT INTO owners (owner, heartbeat_at) VALUES (:owner, :now) "
        "ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        {"owner": owner, "now": now},
    )


def retire(tx: Tx, owner: str) -> None:
    """Forget ``owner`` at a clean shutdown, so its leftovers are taken over at once."""
    tx.execute("DELETE FROM owners WHERE owner = :owner", {"owner": owner})


def prune(tx: Tx, done_before: float) -> int:
    """Delete finished claims older than ``done_before``; returns how many."""
    rows = tx.all(
        "DELETE FROM claims WHERE state = 'done' AND updated_at < :before RETURNING 1",
        {"before": done_before},
    )
    return len(rows)


class ClaimLost(TransientError):
    """Another owner took the claim over and has not finished: ours must not be used; ask again."""


def _current(tx: Tx, kind: str, key: str) -> tuple[str, int, str | None]:
    row = tx.one(
        "SELECT state, attempts, outcome FROM claims WHERE kind = :kind AND key = :key",
        {"kind": kind, "key": key},
    )
    if row is None:
        raise ClaimLost(f"{kind} {key} has no claim")
    return str(row[0]), int(row[1]), row[2]
