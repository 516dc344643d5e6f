"""Requests and runs: creating them exactly once, moving runs through their states, and reading them back.

Every "do this once" rule is a UNIQUE constraint or a conditional UPDATE checked by rowcount, so a Slack
retry, a double click, two threads or two processes racing all come down to one row winning inside SQLite.

Leases: a run belongs to the process (`owner`) that claimed it until `lease_expires_at`, and that process
renews the lease while the model call runs and until the outcome is posted (bot/run_lease.py). Another
process sharing the database (a rolling deploy runs two) interrupts a run, or posts its stored outcome, only
once the lease has expired; finishing a run is conditional on still owning it, so a run that was taken over
is never finished, and charged, a second time.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from sqlite_utils.db import NotFoundError

from storage.db import Database, inserted_id, row_dict
from storage.records import ACTIVE, Request, Run, from_row

if TYPE_CHECKING:  # a provider-usage value; storage only reads its fields
    from commands.providers import TokenCounts

LEASE_SECONDS = 60.0
MAX_DELIVERY_ATTEMPTS = 3  # posting an outcome: the first try and two later ones (at the next starts)
_ACTIVE = f"status IN ({', '.join(repr(s) for s in ACTIVE)})"


def new_owner_id() -> str:
    """Unique per process and per store: host and pid say who, the random tail tells two stores apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class NewRun:
    request_id: int
    channel_id: str
    user_id: str
    provider: str
    model: str
    effort: str | None
    lane: str
    rung: int
    attempt: int = 1
    escalated_from: int | None = None
    escalation_reason: str | None = None


class RunStore:
    def __init__(
        self, database: Database, *, owner: str | None = None, lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.database = database
        self.owner = owner or new_owner_id()
        self.lease_seconds = lease_seconds

    # --- requests -----------------------------------------------------------------------------------
    def create_request(
        self,
        *,
        channel_id: str,
        user_id: str,
        task: str,
        lane: str,
        provider: str,
        confidence: float,
        now: float,
        team_id: str | None = None,
        dedupe_key: str | None = None,
    ) -> tuple[Request, bool]:
        """Insert a request; with a dedupe_key seen before, return the existing one and False."""
        # One plain statement rather than a transaction around sqlite-utils' lookup, insert() and get():
        # this runs on every /route. The UNIQUE dedupe_key decides a redelivery, even between processes.
        values = {
            "team_id": team_id,
            "channel_id": channel_id,
            "user_id": user_id,
            "task": task,
            "task_chars": len(task),
            "lane": lane,
            "provider": provider,
            "confidence": confidence,
            "dedupe_key": dedupe_key,
            "created_at": now,
        }
        conn = self.database.conn
        inserted = conn.execute(
            f"INSERT INTO requests ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING *",
            list(values.values()),
        )
        rows = inserted.fetchall()  # all of it, so the INSERT statement is finished (and committed)
        if rows:
            return from_row(Request, row_dict(inserted, rows[0])), True
        seen = conn.execute("SELECT * FROM requests WHERE dedupe_key = ?", [dedupe_key])
        return from_row(Request, row_dict(seen, seen.fetchone())), False

    def set_card(self, request_id: int, channel: str, ts: str) -> None:
        # One UPDATE: sqlite-utils' update() first reads the row to check that it exists.
        updated = self.database.conn.execute(
            "UPDATE requests SET card_channel = ?, card_ts = ? WHERE id = ?", [channel, ts, request_id]
        )
        if updated.rowcount == 0:
            raise NotFoundError(f"no request {request_id}")

    def request(self, request_id: int) -> Request | None:
        try:
            return from_row(Request, self.database.table("requests").get(request_id))
        except NotFoundError:
            return None

    def latest_run_request(self, channel_id: str, user_id: str) -> Request | None:
        """The caller's most recent request in this channel that has been run at least once."""
        rows = self.database.table("requests").rows_where(
            "channel_id = ? AND user_id = ?"
            " AND EXISTS (SELECT 1 FROM runs WHERE runs.request_id = requests.id)",
            [channel_id, user_id],
            order_by="created_at DESC, id DESC",
            limit=1,
        )
        return next((from_row(Request, row) for row in rows), None)

    def channels_used_by(self, user_id: str, limit: int = 20) -> list[str]:
        """Channels where this user has sent `/route`, most recently used first."""
        # An aggregate (GROUP BY with MAX in the ORDER BY): rows_where has no GROUP BY.
        rows = self.database.conn.execute(
            "SELECT channel_id FROM requests WHERE user_id = ? GROUP BY channel_id"
            " ORDER BY MAX(created_at) DESC, channel_id LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [row[0] for row in rows]

    # --- runs ---------------------------------------------------------------------------------------
    def claim_run(self, new: NewRun, now: float, budget_hold_nanousd: int | None = None) -> Run | None:
        """Create a queued run leased to this store's owner; None when the same (request, rung, provider,
        attempt) exists already.

        `budget_hold_nanousd`: what it holds against its channel's budget while in flight (storage/spend.py).
        """
        runs = self.database.table("runs")
        record = {
            **asdict(new),
            "status": "queued",
            "created_at": now,
            "owner": self.owner,
            "lease_expires_at": now + self.lease_seconds,
            "budget_hold_nanousd": budget_hold_nanousd,
        }
        try:
            runs.insert(record)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                return None
            raise
        return self.run(inserted_id(runs))

    def existing_run(self, request_id: int, rung: int, provider: str) -> Run | None:
        """The latest attempt at this (request, rung, provider), if any."""
        rows = self.database.table("runs").rows_where(
            "request_id = ? AND rung = ? AND provider = ?",
            [request_id, rung, provider],
            order_by="attempt DESC",
            limit=1,
        )
        return next((from_row(Run, row) for row in rows), None)

    def start_run(self, run_id: int, now: float) -> bool:
        """queued -> running, by its owner; False if something else got there first."""
        # Conditional UPDATE checked by rowcount: the table API's update() asserts on a missed row instead.
        cursor = self.database.conn.execute(
            "UPDATE runs SET status = 'running', started_at = ?, lease_expires_at = ?"
            " WHERE id = ? AND status = 'queued' AND owner = ?",
            (now, now + self.lease_seconds, run_id, self.owner),
        )
        return cursor.rowcount == 1

    def set_progress_ts(self, run_id: int, ts: str) -> None:
        self.database.table("runs").update(run_id, {"progress_ts": ts})

    def finish_run(
        self,
        run_id: int,
        *,
        now: float,
        answer: str,
        tokens: TokenCounts,
        cost_nanousd: int | None,
        price_source: str | None = None,
        refused: bool = False,
    ) -> Run | None:
        """running -> succeeded with the answer, its cost and where the price came from, its delivery
        pending; None when this process no longer owns the run (its lease expired and another process
        interrupted it)."""
        # Conditional UPDATE checked by rowcount: only the owner of a running run may record its outcome.
        cursor = self.database.conn.execute(
            "UPDATE runs SET status = 'succeeded', ended_at = ?, answer = ?, input_tokens = ?,"
            " output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, reasoning_tokens = ?,"
            " cost_nanousd = ?, price_known = ?, price_source = ?, refused = ?, delivery = 'pending',"
            " lease_expires_at = ? WHERE id = ? AND status = 'running' AND owner = ?",
            (
                now,
                answer,
                tokens.input_tokens,
                tokens.output_tokens,
                tokens.cache_read_tokens,
                tokens.cache_write_tokens,
                tokens.reasoning_tokens,
                cost_nanousd,
                int(cost_nanousd is not None),
                price_source if cost_nanousd is not None else None,
                int(refused),
                now + self.lease_seconds,
                run_id,
                self.owner,
            ),
        )
        return self.run(run_id) if cursor.rowcount == 1 else None

    def fail_run(
        self, run_id: int, *, now: float, kind: str, message: str, status: str = "failed"
    ) -> Run | None:
        """queued/running -> failed (or `status`), uncharged, its delivery pending; None when this process
        no longer owns the run."""
        # Conditional UPDATE checked by rowcount, as in finish_run.
        cursor = self.database.conn.execute(
            "UPDATE runs SET status = ?, ended_at = ?, error_kind = ?, error_message = ?,"
            " cost_nanousd = NULL, delivery = 'pending', lease_expires_at = ?"
            f" WHERE id = ? AND {_ACTIVE} AND owner = ?",
            (status, now, kind, message[:500], now + self.lease_seconds, run_id, self.owner),
        )
        return self.run(run_id) if cursor.rowcount == 1 else None

    def renew_leases(self, now: float) -> int:
        """Extend the lease of every run this process is running or still has to post; returns how many."""
        # One UPDATE for all of this owner's runs: the table API updates one row by primary key.
        cursor = self.database.conn.execute(
            f"UPDATE runs SET lease_expires_at = ? WHERE owner = ? AND ({_ACTIVE} OR delivery = 'pending')",
            (now + self.lease_seconds, self.owner),
        )
        return cursor.rowcount

    def interrupt_expired(self, now: float) -> list[Run]:
        """Runs left queued or running by a process whose lease expired become `interrupted`, with this
        process as their new owner, their notice to be posted."""
        with self.database.transaction() as conn:
            ids = [
                row["id"]
                for row in self.database.table("runs").rows_where(
                    f"{_ACTIVE} AND (lease_expires_at IS NULL OR lease_expires_at < ?)", [now], select="id"
                )
            ]
            # Conditional on the lease still being expired: the owner may have renewed it just now.
            conn.executemany(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error_kind = 'interrupted',"
                " error_message = 'routebot restarted while this run was in progress', delivery = 'pending',"
                f" owner = ?, lease_expires_at = ? WHERE id = ? AND {_ACTIVE}"
                " AND (lease_expires_at IS NULL OR lease_expires_at < ?)",
                [(now, self.owner, now + self.lease_seconds, run_id, now) for run_id in ids],
            )
        return [run for run in map(self.run, ids) if run is not None and run.owner == self.owner]

    def take_undelivered(self, now: float) -> list[Run]:
        """Finished runs whose outcome is not in Slack yet and whose owner's lease expired (the process died
        between the answer and the post, or Slack refused every try): this process takes them over."""
        with self.database.transaction() as conn:
            ids = [
                row["id"]
                for row in self.database.table("runs").rows_where(
                    "delivery IN ('pending', 'failed') AND lease_expires_at < ? AND delivery_attempts < ?",
                    [now, MAX_DELIVERY_ATTEMPTS],
                    select="id",
                    order_by="id",
                )
            ]
            # Conditional UPDATE, as in interrupt_expired: a live owner keeps what it is posting.
            conn.executemany(
                "UPDATE runs SET owner = ?, lease_expires_at = ? WHERE id = ? AND lease_expires_at < ?",
                [(self.owner, now + self.lease_seconds, run_id, now) for run_id in ids],
            )
        return [run for run in map(self.run, ids) if run is not None and run.owner == self.owner]

    def record_delivery(self, run_id: int, state: str, error: str | None = None) -> None:
        """The outcome's delivery: delivered, delivered_privately, or failed (with Slack's error)."""
        # Conditional UPDATE counting the attempt in SQL; update() would need a read first.
        self.database.conn.execute(
            "UPDATE runs SET delivery = ?, delivery_attempts = delivery_attempts + 1, delivery_error = ?"
            " WHERE id = ? AND owner = ?",
            (state, error, run_id, self.owner),
        )

    def run(self, run_id: int) -> Run | None:
        try:
            return from_row(Run, self.database.table("runs").get(run_id))
        except NotFoundError:
            return None

    def runs_for_request(self, request_id: int) -> list[Run]:
        rows = self.database.table("runs").rows_where("request_id = ?", [request_id], order_by="id")
        return [from_row(Run, row) for row in rows]

    def purge_text(self, before: float, now: float) -> int:
        """Remove task and answer text older than the retention cutoff; metadata and costs stay."""
        requests = self.database.table("requests")
        with self.database.transaction() as conn:
            ids = [
                row["id"]
                for row in requests.rows_where(
                    "created_at < ? AND text_purged_at IS NULL", [before], select="id"
                )
            ]
            # Raw UPDATE ... IN: one statement per 500 rows, where update() would take two per row.
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(
                    "UPDATE requests SET task = NULL, material = NULL, text_purged_at = ?"
                    f" WHERE id IN ({marks})",
                    (now, *chunk),
                )
                conn.execute(f"UPDATE runs SET answer = NULL WHERE request_id IN ({marks})", chunk)
        return len(ids)
