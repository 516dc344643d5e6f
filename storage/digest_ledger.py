"""The digest ledger: one row per (channel, week), so each weekly digest is posted once.

Claimed before posting, marked posted or failed after. A claim is a read-then-write inside BEGIN IMMEDIATE,
so two firings of the job, a startup catch-up and an operator's `routebot digest --post` racing for the same
digest come down to one winner in SQLite; a failed one is claimed again on the next try.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class LedgerEntry:
    channel_id: str
    week: str
    status: str  # posting, posted, failed
    attempts: int
    claimed_at: float
    message_ts: str | None
    error: str | None
    updated_at: float


class DigestLedger:
    def __init__(self, database: Database) -> None:
        self.database = database

    def claim(self, channel_id: str, week: str, *, now: float, lease: float, max_attempts: int) -> bool:
        """True when the caller should post now: never posted, failed before, or left by a crash."""
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT status, attempts, claimed_at FROM digest_ledger WHERE channel_id = ? AND week = ?",
                (channel_id, week),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO digest_ledger (channel_id, week, status, attempts, claimed_at, updated_at)"
                    " VALUES (?, ?, 'posting', 1, ?, ?)",
                    (channel_id, week, now, now),
                )
                return True
            status, attempts, claimed_at = row
            if status == "posted" or attempts >= max_attempts:
                return False
            if status == "posting" and now - claimed_at < lease:
                return False  # someone else is posting it right now
            conn.execute(
                "UPDATE digest_ledger SET status = 'posting', attempts = attempts + 1, claimed_at = ?,"
                " updated_at = ? WHERE channel_id = ? AND week = ?",
                (now, now, channel_id, week),
            )
            return True

    def posted(self, channel_id: str, week: str, *, ts: str | None, now: float) -> None:
        self.database.conn.execute(
            "UPDATE digest_ledger SET status = 'posted', message_ts = ?, error = NULL, updated_at = ?"
            " WHERE channel_id = ? AND week = ?",
            (ts, now, channel_id, week),
        )

    def failed(self, channel_id: str, week: str, *, error: str, now: float) -> None:
        self.database.conn.execute(
            "UPDATE digest_ledger SET status = 'failed', error = ?, updated_at = ?"
            " WHERE channel_id = ? AND week = ?",
            (error[:200], now, channel_id, week),
        )

    def entry(self, channel_id: str, week: str) -> LedgerEntry | None:
        row = self.database.conn.execute(
            "SELECT channel_id, week, status, attempts, claimed_at, message_ts, error, updated_at"
            " FROM digest_ledger WHERE channel_id = ? AND week = ?",
            (channel_id, week),
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def entries(self, week: str) -> list[LedgerEntry]:
        rows = self.database.conn.execute(
            "SELECT channel_id, week, status, attempts, claimed_at, message_ts, error, updated_at"
            " FROM digest_ledger WHERE week = ? ORDER BY channel_id",
            (week,),
        )
        return [LedgerEntry(*r) for r in rows]
