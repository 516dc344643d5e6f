"""Runs waiting for an admin's approval: asked once, decided once.

"Once" is SQLite's: a partial UNIQUE index allows one pending approval per (request, rung, provider), and a
decision is a conditional UPDATE from 'pending' checked by rowcount, so double clicks and two admins racing
come down to one row winning.
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass

from storage.db import Database
from storage.records import from_row
from storage.runs import NewRun


@dataclass(frozen=True)
class Approval:
    id: int
    request_id: int
    channel_id: str
    requester_id: str
    provider: str
    model: str
    effort: str | None
    lane: str
    rung: int
    attempt: int
    escalated_from: int | None
    escalation_reason: str | None
    status: str  # pending, approved, declined
    created_at: float
    decided_by: str | None
    decided_at: float | None
    message_ts: str | None


class ApprovalStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def ask(self, new: NewRun, now: float) -> tuple[Approval, bool]:
        """Record a pending approval for the run `new` (its user is the requester); when one is already
        pending for this step, return it and False."""
        with self.database.transaction() as conn:
            try:
                cursor = conn.execute(
                    # Columns in NewRun's field order (its user is the requester): values are astuple(new).
                    "INSERT INTO approvals (request_id, channel_id, requester_id, provider, model, effort,"
                    " lane, rung, attempt, escalated_from, escalation_reason, created_at, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                    (*astuple(new), now),
                )
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                row = conn.execute(
                    "SELECT id FROM approvals WHERE request_id = ? AND rung = ? AND provider = ?"
                    " AND status = 'pending'",
                    (new.request_id, new.rung, new.provider),
                ).fetchone()
                return self._must(conn, row[0]), False
            return self._must(conn, int(cursor.lastrowid or 0)), True

    def get(self, approval_id: int) -> Approval | None:
        conn = self.database.conn
        return self._one(conn, approval_id)

    def set_message(self, approval_id: int, ts: str) -> None:
        self.database.conn.execute("UPDATE approvals SET message_ts = ? WHERE id = ?", (ts, approval_id))

    def withdraw(self, approval_id: int) -> None:
        """Forget a pending approval nobody could be asked about (the question could not be posted)."""
        self.database.conn.execute(
            "DELETE FROM approvals WHERE id = ? AND status = 'pending'", (approval_id,)
        )

    def decide(self, approval_id: int, status: str, user_id: str, now: float) -> Approval | None:
        """pending -> approved/declined; None when it was decided already (the earlier decision stands)."""
        if status not in ("approved", "declined"):
            raise ValueError(f"not a decision: {status}")
        with self.database.transaction() as conn:
            cursor = conn.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (status, user_id, now, approval_id),
            )
            return self._must(conn, approval_id) if cursor.rowcount == 1 else None

    def is_approved(self, request_id: int, rung: int, provider: str) -> bool:
        """Whether an admin approved this step of this request (its retries need no second approval)."""
        row = self.database.conn.execute(
            "SELECT 1 FROM approvals WHERE request_id = ? AND rung = ? AND provider = ?"
            " AND status = 'approved' LIMIT 1",
            (request_id, rung, provider),
        ).fetchone()
        return row is not None

    def _one(self, conn: sqlite3.Connection, approval_id: int) -> Approval | None:
        cursor = conn.execute("SELECT * FROM approvals WHERE id = ?", (approval_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        return from_row(Approval, row, [d[0] for d in cursor.description])

    def _must(self, conn: sqlite3.Connection, approval_id: int) -> Approval:
        approval = self._one(conn, approval_id)
        if approval is None:
            raise LookupError(f"approval {approval_id} vanished")
        return approval
