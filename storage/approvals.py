"""Runs waiting for an admin's approval: asked once, decided once.

"Once" is SQLite's: a partial UNIQUE index allows one pending approval per (request, rung, provider), and a
decision is a conditional UPDATE from 'pending' checked by rowcount, so double clicks and two admins racing
come down to one row winning.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from sqlite_utils.db import NotFoundError

from storage.db import Database, inserted_id
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
        approvals = self.database.table("approvals")
        record = {**asdict(new), "status": "pending", "created_at": now}
        record["requester_id"] = record.pop("user_id")
        with self.database.transaction():
            try:
                approvals.insert(record)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                pending = approvals.rows_where(
                    "request_id = ? AND rung = ? AND provider = ? AND status = 'pending'",
                    [new.request_id, new.rung, new.provider],
                )
                return from_row(Approval, next(pending)), False
            return from_row(Approval, approvals.get(inserted_id(approvals))), True

    def get(self, approval_id: int) -> Approval | None:
        try:
            return from_row(Approval, self.database.table("approvals").get(approval_id))
        except NotFoundError:
            return None

    def set_message(self, approval_id: int, ts: str) -> None:
        self.database.table("approvals").update(approval_id, {"message_ts": ts})

    def withdraw(self, approval_id: int) -> None:
        """Forget a pending approval nobody could be asked about (the question could not be posted)."""
        self.database.table("approvals").delete_where("id = ? AND status = 'pending'", [approval_id])

    def decide(self, approval_id: int, status: str, user_id: str, now: float) -> Approval | None:
        """pending -> approved/declined; None when it was decided already (the earlier decision stands)."""
        if status not in ("approved", "declined"):
            raise ValueError(f"not a decision: {status}")
        with self.database.transaction() as conn:
            # Conditional UPDATE checked by rowcount: the first decision wins, a second finds no pending row.
            cursor = conn.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (status, user_id, now, approval_id),
            )
            return self.get(approval_id) if cursor.rowcount == 1 else None

    def is_approved(self, request_id: int, rung: int, provider: str) -> bool:
        """Whether an admin approved this step of this request (its retries need no second approval)."""
        rows = self.database.table("approvals").rows_where(
            "request_id = ? AND rung = ? AND provider = ? AND status = 'approved'",
            [request_id, rung, provider],
            select="id",
            limit=1,
        )
        return next(rows, None) is not None
