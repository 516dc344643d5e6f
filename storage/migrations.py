"""Numbered schema migrations through sqlite-utils' Migrations; never edit one that has shipped, add the next.

sqlite-utils records each applied migration by name in `_sqlite_migrations` (migration set "routebot"),
each inside a transaction with its record. The names start with their number so they read in order.
Databases made before routebot used sqlite-utils recorded version numbers in `schema_migrations`;
`adopt_legacy_versions` carries those over once (storage/db.py runs it before applying). To change the
schema, add a function below the last one, decorated `@MIGRATIONS(name="00N_what_it_does")`.

Times are stored as Unix seconds (REAL, UTC) so range queries for digests stay simple and fast.
Money is stored as integer nano-dollars (1e-9 USD): sums are exact, and NULL means the price is unknown.
"""

from __future__ import annotations

import datetime
import sqlite3

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("routebot")


@MIGRATIONS(name="001_requests_and_runs")
def _requests_and_runs(db: Database) -> None:
    # Inside the migration's transaction sqlite-utils runs a script statement by statement (no COMMIT).
    db.executescript(
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
        """
    )


@MIGRATIONS(name="002_digest_ledger")
def _digest_ledger(db: Database) -> None:
    db.executescript(
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
        """
    )


@MIGRATIONS(name="003_channel_settings")
def _channel_settings(db: Database) -> None:
    db.executescript(
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
        """
    )


@MIGRATIONS(name="004_price_source")
def _price_source(db: Database) -> None:
    db.executescript(
        """
        -- Where a run's price came from: the catalog and its version ("genai-prices 0.2.3") or "policy";
        -- NULL while the price is unknown. Every run priced before this column was priced by the policy.
        ALTER TABLE runs ADD COLUMN price_source TEXT;
        UPDATE runs SET price_source = 'policy' WHERE price_known = 1;
        """
    )


@MIGRATIONS(name="005_run_leases_and_delivery")
def _run_leases_and_delivery(db: Database) -> None:
    runs = db.table("runs")
    runs.add_column("refused", int, not_null_default=0)  # 1: the model declined (Anthropic stop_reason)
    # The process running a run holds it by a lease it renews; another process may take over (interrupt
    # it, or post its stored outcome) only once the lease has expired: a rolling deploy overlaps two.
    runs.add_column("owner", str)
    runs.add_column("lease_expires_at", float)
    # pending -> delivered | delivered_privately | failed; NULL for runs from before delivery was recorded.
    runs.add_column("delivery", str)
    runs.add_column("delivery_attempts", int, not_null_default=0)
    runs.add_column("delivery_error", str)
    # Partial index (create_index has no WHERE): startup finds undelivered outcomes without a scan.
    db.execute(
        "CREATE INDEX runs_undelivered ON runs (lease_expires_at) WHERE delivery IN ('pending', 'failed')"
    )


@MIGRATIONS(name="006_conversations_and_feedback")
def _conversations_and_feedback(db: Database) -> None:
    # A conversation is a root request (a /route, a mention, a shortcut) and its follow-ups, each a request
    # of its own whose conversation_id names the root, so every turn is a run like any other.
    requests = db.table("requests")
    requests.add_column("source", str, not_null_default="command")  # command, mention, shortcut, follow_up
    requests.add_column("thread_ts", str)  # the thread runs answer in; NULL: the card's own
    requests.add_column("conversation_id", int)  # the root request; NULL for a root
    requests.add_column("material", str)  # the routed message or thread; purged with the task
    requests.add_column("material_kind", str)  # message, thread
    requests.add_column("material_messages", int)
    requests.create_index(["card_channel", "thread_ts"], index_name="requests_thread")
    requests.create_index(["conversation_id"], index_name="requests_conversation")
    db.table("runs").add_column("trimmed_turns", int)  # exchanges left out to fit the context window
    # One vote per person per run; a second click changes it.
    db.table("feedback").create(
        {"run_id": int, "user_id": str, "helpful": int, "voted_at": float},
        pk=("run_id", "user_id"),
        not_null={"run_id", "user_id", "helpful", "voted_at"},
        foreign_keys=[("run_id", "runs", "id")],
    )
    # 0: a mention sends only the thread's first message, not the thread (a channel setting).
    db.table("channel_settings").add_column("thread_context", int, not_null_default=1)


@MIGRATIONS(name="007_learning")
def _learning(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE learning_requests (    -- what the router and learning decided for each routed request
            request_id INTEGER PRIMARY KEY REFERENCES requests (id),
            channel_id TEXT NOT NULL,
            base_lane TEXT NOT NULL,        -- the base router's choice, before learning
            lane TEXT NOT NULL,             -- where the request started
            moved INTEGER NOT NULL,         -- +1 a rung up from base_lane, -1 a rung down, 0 not moved
            offer TEXT,                     -- a cheaper lane learning offered on the card
            explicit INTEGER NOT NULL,      -- 1: --lane was given; never evidence
            features TEXT NOT NULL,         -- hashed text features (space-separated), for "similar requests"
            explanation TEXT,               -- what the card said, when learning moved or offered
            created_at REAL NOT NULL
        );
        CREATE INDEX learning_requests_channel ON learning_requests (channel_id, request_id);
        CREATE INDEX runs_escalated_from ON runs (request_id, escalated_from);

        CREATE TABLE learning_channels (    -- a channel whose admin turned learning off or reset it
            channel_id TEXT PRIMARY KEY,
            enabled INTEGER NOT NULL,
            reset_at REAL,                  -- evidence from requests routed at or before this is forgotten
            updated_at REAL NOT NULL,
            updated_by TEXT NOT NULL
        );
        """
    )


@MIGRATIONS(name="008_trust")
def _trust(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE secrets (              -- keys made at first use, shared by every process on this file
            name TEXT PRIMARY KEY,          -- button_key: the HMAC key of button values (bot/button_seal.py)
            value BLOB NOT NULL,
            created_at REAL NOT NULL
        );

        CREATE TABLE command_triggers (     -- slash commands already handled, by Slack's trigger_id
            trigger_id TEXT PRIMARY KEY,
            command TEXT NOT NULL,
            at REAL NOT NULL
        );
        """
    )
    # What a queued or running run holds against its channel's weekly budget until it finishes: the most it
    # can cost (commands/budget.py). NULL: not held (no budget, or a model without a price).
    db.table("runs").add_column("budget_hold_nanousd", int)
    # A warning is 'posting' while one process posts it and 'sent' only once Slack has taken it; a
    # 'posting' row older than the lease was left by a crash and may be taken over.
    db.table("budget_warnings").add_column("status", str, not_null_default="sent")
    # Counts saves, so a save made from an older window is refused instead of reverting a newer one.
    db.table("channel_settings").add_column("version", int, not_null_default=0)
    db.execute("UPDATE channel_settings SET version = 1")


@MIGRATIONS(name="009_learning_window")
def _learning_window(db: Database) -> None:
    # Where a window of learning_requests starts (storage/learning.py, observed()): without it, finding the
    # requests that ran meant reading every request routed in the window, run or not, twice per /route.
    db.execute("CREATE INDEX learning_requests_time ON learning_requests (created_at)")


LEGACY_VERSIONS = {
    1: "001_requests_and_runs",
    2: "002_digest_ledger",
    3: "003_channel_settings",
    4: "004_price_source",
}
"""What routebot's own runner (before sqlite-utils' Migrations) recorded in schema_migrations."""


def adopt_legacy_versions(db: Database) -> None:
    """Record the versions an older routebot applied as sqlite-utils migrations, then drop its table."""
    legacy = db.table("schema_migrations")
    if not legacy.exists():
        return
    MIGRATIONS.ensure_migrations_table(db)
    applied = {m.name for m in MIGRATIONS.applied(db)}
    for row in legacy.rows_where(order_by="version"):
        name = LEGACY_VERSIONS.get(row["version"])
        if name is None:  # a DatabaseError, so startup names ROUTEBOT_DB in one line (bot/preflight.py)
            raise sqlite3.DatabaseError(
                f"the database has schema version {row['version']}, newer than this routebot knows"
                " (upgrade routebot)"
            )
        if name not in applied:  # same columns as sqlite-utils' own record of an applied migration
            db.table(MIGRATIONS.migrations_table).insert(
                {
                    "migration_set": MIGRATIONS.name,
                    "name": name,
                    "applied_at": str(datetime.datetime.now(datetime.UTC)),
                }
            )
    legacy.drop()
