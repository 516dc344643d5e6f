"""The digest ledger: one row per (channel, week), so each weekly digest is posted once.

Claimed before posting, marked posted or failed after. A claim is a read-then-write inside BEGIN IMMEDIATE,
so two firings of the job, a startup catch-up and an operator's `routebot digest --post` racing for the same
digest come down to one winner in SQLite; a failed one is claimed again on the next try.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils.db import NotFoundError

from storage.db import Database
from storage.records import from_row


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
        ledger = self.database.table("digest_ledger")
        with self.database.transaction():
            entry = self.entry(channel_id, week)
            if entry is None:
                ledger.insert(
                    {
                        "channel_id": channel_id,
                        "week": week,
                        "status": "posting",
                        "attempts": 1,
                        "claimed_at": now,
                        "updated_at": now,
                    }
                )
                return True
            if entry.status == "posted" or entry.attempts >= max_attempts:
                return False
            if entry.status == "posting" and now - entry.claimed_at < lease:
                return False  # someone else is posting it right now
            ledger.update(
                (channel_id, week),
                {"status": "posting", "attempts": entry.attempts + 1, "claimed_at": now, "updated_at": now},
            )
            return True

    def posted(self, channel_id: str, week: str, *, ts: str | None, now: float) -> None:
        self.database.table("digest_ledger").update(
            (channel_id, week), {"status": "posted", "message_ts": ts, "error": None, "updated_at": now}
        )

    def failed(self, channel_id: str, week: str, *, error: str, now: float) -> None:
        self.database.table("digest_ledger").update(
            (channel_id, week), {"status": "failed", "error": error[:200], "updated_at": now}
        )

    def entry(self, channel_id: str, week: str) -> LedgerEntry | None:
        try:
            return from_row(LedgerEntry, self.database.table("digest_ledger").get((channel_id, week)))
        except NotFoundError:
            return None

    def entries(self, week: str) -> list[LedgerEntry]:
        rows = self.database.table("digest_ledger").rows_where("week = ?", [week], order_by="channel_id")
        return [from_row(LedgerEntry, row) for row in rows]
