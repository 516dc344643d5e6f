"""Requests and runs: creating them exactly once, moving runs through their states, and reading them back.

Every "do this once" rule is a UNIQUE constraint or a conditional UPDATE checked by rowcount, so a Slack
retry, a double click or two threads racing all come down to one row winning inside SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from storage.db import Database
from storage.records import ACTIVE, Request, Run, from_row

if TYPE_CHECKING:  # a provider-usage value; storage only reads its fields
    from commands.providers import TokenCounts


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
    def __init__(self, database: Database) -> None:
        self.database = database

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
        with self.database.transaction() as conn:
            if dedupe_key is not None:
                row = conn.execute("SELECT * FROM requests WHERE dedupe_key = ?", (dedupe_key,)).fetchone()
                if row is not None:
                    return self._request(conn, row), False
            cursor = conn.execute(
                "INSERT INTO requests (team_id, channel_id, user_id, task, task_chars, lane, provider,"
                " confidence,"
                " dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (team_id, channel_id, user_id, task, len(task), lane, provider, confidence, dedupe_key, now),
            )
            row = conn.execute("SELECT * FROM requests WHERE id = ?", (cursor.lastrowid,)).fetchone()
            return self._request(conn, row), True

    def set_card(self, request_id: int, channel: str, ts: str) -> None:
        self.database.conn.execute(
            "UPDATE requests SET card_channel = ?, card_ts = ? WHERE id = ?", (channel, ts, request_id)
        )

    def request(self, request_id: int) -> Request | None:
        conn = self.database.conn
        row = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        return self._request(conn, row) if row else None

    def latest_run_request(self, channel_id: str, user_id: str) -> Request | None:
        """The caller's most recent request in this channel that has been run at least once."""
        conn = self.database.conn
        row = conn.execute(
            "SELECT r.* FROM requests r WHERE r.channel_id = ? AND r.user_id = ?"
            " AND EXISTS (SELECT 1 FROM runs WHERE runs.request_id = r.id)"
            " ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
            (channel_id, user_id),
        ).fetchone()
        return self._request(conn, row) if row else None

    def channels_used_by(self, user_id: str, limit: int = 20) -> list[str]:
        """Channels where this user has sent `/route`, most recently used first."""
        rows = self.database.conn.execute(
            "SELECT channel_id FROM requests WHERE user_id = ? GROUP BY channel_id"
            " ORDER BY MAX(created_at) DESC, channel_id LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return [row[0] for row in rows]

    # --- runs ---------------------------------------------------------------------------------------
    def claim_run(self, new: NewRun, now: float) -> Run | None:
        """Create a queued run; None when the same (request, rung, provider, attempt) exists already."""
        conn = self.database.conn
        try:
            cursor = conn.execute(
                # Columns in NewRun's field order, so the values are astuple(new).
                "INSERT INTO runs (request_id, channel_id, user_id, provider, model, effort, lane, rung,"
                " attempt, escalated_from, escalation_reason, created_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')",
                (*astuple(new), now),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                return None
            raise
        return self.run(int(cursor.lastrowid or 0))

    def existing_run(self, request_id: int, rung: int, provider: str) -> Run | None:
        """The latest attempt at this (request, rung, provider), if any."""
        rows = self._runs(
            "SELECT * FROM runs WHERE request_id = ? AND rung = ? AND provider = ?"
            " ORDER BY attempt DESC LIMIT 1",
            (request_id, rung, provider),
        )
        return rows[0] if rows else None

    def start_run(self, run_id: int, now: float) -> bool:
        """queued -> running; False if something else got there first."""
        cursor = self.database.conn.execute(
            "UPDATE runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
            (now, run_id),
        )
        return cursor.rowcount == 1

    def set_progress_ts(self, run_id: int, ts: str) -> None:
        self.database.conn.execute("UPDATE runs SET progress_ts = ? WHERE id = ?", (ts, run_id))

    def finish_run(
        self,
        run_id: int,
        *,
        now: float,
        answer: str,
        tokens: TokenCounts,
        cost_nanousd: int | None,
        price_source: str | None = None,
    ) -> Run:
        self.database.conn.execute(
            "UPDATE runs SET status = 'succeeded', ended_at = ?, answer = ?, input_tokens = ?,"
            " output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, reasoning_tokens = ?,"
            " cost_nanousd = ?, price_known = ?, price_source = ?"
            " WHERE id = ?",
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
                run_id,
            ),
        )
        return self._must(run_id)

    def fail_run(self, run_id: int, *, now: float, kind: str, message: str, status: str = "failed") -> Run:
        self.database.conn.execute(
            "UPDATE runs SET status = ?, ended_at = ?, error_kind = ?, error_message = ?, cost_nanousd = NULL"
            " WHERE id = ?",
            (status, now, kind, message[:500], run_id),
        )
        return self._must(run_id)

    def interrupt_active(self, now: float) -> list[Run]:
        """At startup: runs left queued or running by a dead process become `interrupted`."""
        with self.database.transaction() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM runs WHERE status IN ({','.join('?' * len(ACTIVE))})", ACTIVE
                )
            ]
            conn.executemany(
                "UPDATE runs SET status = 'interrupted', ended_at = ?, error_kind = 'interrupted',"
                " error_message = 'routebot restarted while this run was in progress' WHERE id = ?",
                [(now, run_id) for run_id in ids],
            )
        return [self._must(run_id) for run_id in ids]

    def run(self, run_id: int) -> Run | None:
        rows = self._runs("SELECT * FROM runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def runs_for_request(self, request_id: int) -> list[Run]:
        return self._runs("SELECT * FROM runs WHERE request_id = ? ORDER BY id", (request_id,))

    def purge_text(self, before: float, now: float) -> int:
        """Remove task and answer text older than the retention cutoff; metadata and costs stay."""
        with self.database.transaction() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM requests WHERE created_at < ? AND text_purged_at IS NULL", (before,)
                )
            ]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(
                    f"UPDATE requests SET task = NULL, text_purged_at = ? WHERE id IN ({marks})",
                    (now, *chunk),
                )
                conn.execute(f"UPDATE runs SET answer = NULL WHERE request_id IN ({marks})", chunk)
        return len(ids)

    # --- helpers ------------------------------------------------------------------------------------
    def _must(self, run_id: int) -> Run:
        run = self.run(run_id)
        if run is None:
            raise LookupError(f"run {run_id} vanished")
        return run

    def _runs(self, sql: str, params: Sequence[Any]) -> list[Run]:
        cursor = self.database.conn.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        return [from_row(Run, row, columns) for row in cursor.fetchall()]

    @staticmethod
    def _request(conn: sqlite3.Connection, row: tuple[Any, ...]) -> Request:
        columns = [d[1] for d in conn.execute("PRAGMA table_info(requests)")]
        return from_row(Request, row, columns)
