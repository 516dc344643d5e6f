"""Numbered schema migrations, applied in order at startup; never edit one that has shipped, add the next.

Times are stored as Unix seconds (REAL, UTC) so range queries for digests stay simple and fast.
Money is stored as integer nano-dollars (1e-9 USD): sums are exact, and NULL means the price is unknown.
"""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one: executescript() would COMMIT the migration's open transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""


def _001_requests_and_runs(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            team_id TEXT,
            channel_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            task TEXT,                      -- removed after the retention period
            task_chars INTEGER NOT NULL,
            lane TEXT NOT NULL,             -- the router's recommendation
            provider TEXT NOT NULL,         -- the preferred provider when routed
            confidence REAL NOT NULL,
            dedupe_key TEXT UNIQUE,         -- Slack trigger_id: a redelivered /route makes no second card
            card_channel TEXT,
            card_ts TEXT,                   -- the channel message; runs answer in its thread
            created_at REAL NOT NULL,
            text_purged_at REAL
        );
        CREATE INDEX requests_channel_user ON requests (channel_id, user_id, created_at);

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests (id),
            channel_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            effort TEXT,
            lane TEXT NOT NULL,
            rung INTEGER NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL,           -- queued, running, succeeded, failed, interrupted
            escalated_from INTEGER REFERENCES runs (id),
            escalation_reason TEXT,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            input_tokens INTEGER,           -- as the API reported them
            output_tokens INTEGER,
            cache_read_tokens INTEGER,
            cache_write_tokens INTEGER,
            reasoning_tokens INTEGER,
            cost_nanousd INTEGER,           -- NULL: unknown price (or no cost, for a failed run)
            price_known INTEGER,            -- 1 priced, 0 unknown price, NULL not finished
            error_kind TEXT,
            error_message TEXT,
            answer TEXT,                    -- removed after the retention period
            progress_ts TEXT,               -- the "running on ..." thread message, updated in place
            UNIQUE (request_id, rung, provider, attempt)
        );
        CREATE INDEX runs_channel_time ON runs (channel_id, created_at);
        CREATE INDEX runs_status ON runs (status);
        """,
    )


def _002_digest_ledger(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE digest_ledger (        -- one weekly digest per (channel, week), whatever restarts
            channel_id TEXT NOT NULL,
            week TEXT NOT NULL,             -- ISO week label, e.g. 2026-W48
            status TEXT NOT NULL,           -- posting, posted, failed
            attempts INTEGER NOT NULL,
            claimed_at REAL NOT NULL,       -- a 'posting' claim older than the lease was abandoned by a crash
            message_ts TEXT,
            error TEXT,                     -- the last Slack error, for failed
            updated_at REAL NOT NULL,
            PRIMARY KEY (channel_id, week)
        );
        -- Digests aggregate each channel's runs of one week from this index alone (no table lookups): it
        -- holds every column they read, so a million runs take about a second (bench/digest.py).
        CREATE INDEX runs_digest ON runs (channel_id, created_at, status, price_known, lane, model, effort,
            provider, cost_nanousd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
            request_id, escalated_from, attempt, escalation_reason, user_id);
        """,
    )


def _003_channel_settings(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE channel_settings (
            channel_id TEXT PRIMARY KEY,
            providers TEXT NOT NULL,        -- comma-separated, e.g. "anthropic,openai"
            budget_nanousd INTEGER,         -- weekly budget; NULL: no budget
            approval_lanes TEXT NOT NULL,   -- comma-separated lane ids needing approval; '' for none
            updated_at REAL NOT NULL,
            updated_by TEXT NOT NULL
        );

        CREATE TABLE settings_changes (     -- the audit trail: one row per changed field
            id INTEGER PRIMARY KEY,
            channel_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            at REAL NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT,                 -- NULL: none (no budget)
            new_value TEXT
        );
        CREATE INDEX settings_changes_channel ON settings_changes (channel_id, at);

        CREATE TABLE approvals (            -- a run plan waiting for an admin
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests (id),
            channel_id TEXT NOT NULL,
            requester_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            effort TEXT,
            lane TEXT NOT NULL,
            rung INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            escalated_from INTEGER REFERENCES runs (id),
            escalation_reason TEXT,
            status TEXT NOT NULL,           -- pending, approved, declined
            created_at REAL NOT NULL,
            decided_by TEXT,
            decided_at REAL,
            message_ts TEXT                 -- the Approve / Decline message in the request's thread
        );
        -- one open question per step: a double click asks once, and after a decline one may ask again
        CREATE UNIQUE INDEX approvals_one_pending ON approvals (request_id, rung, provider)
            WHERE status = 'pending';

        CREATE TABLE budget_warnings (      -- "warned once that week"
            channel_id TEXT NOT NULL,
            week TEXT NOT NULL,             -- ISO week label, e.g. 2026-W48
            warned_at REAL NOT NULL,
            PRIMARY KEY (channel_id, week)
        );
        """,
    )


def _004_price_source(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        -- Where a run's price came from: the catalog and its version ("genai-prices 0.2.3") or "policy";
        -- NULL while the price is unknown. Every run priced before this column was priced by the policy.
        ALTER TABLE runs ADD COLUMN price_source TEXT;
        UPDATE runs SET price_source = 'policy' WHERE price_known = 1;
        """,
    )


MIGRATIONS = (
    (1, "requests and runs", _001_requests_and_runs),
    (2, "digest ledger", _002_digest_ledger),
    (3, "channel settings", _003_channel_settings),
    (4, "price source", _004_price_source),
)
