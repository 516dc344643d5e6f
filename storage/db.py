"""Open routebot's SQLite database: WAL mode, one connection per thread, migrations applied at startup.

sqlite3 connections belong to the thread that made them (check_same_thread), and Bolt runs listeners on a
pool, so each thread gets its own sqlite-utils Database on the same file. WAL lets readers run beside the
one writer; busy_timeout makes a writer wait for the lock instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from storage.migrations import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000


class Database:
    def __init__(self, path: str) -> None:
        if path == ":memory:":
            raise ValueError("routebot needs a file database so its worker threads share it; use a temp file")
        self.path = path
        self._local = threading.local()
        self.migrate()

    def _connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL survives application crashes in WAL mode; only an OS crash can lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so read-then-write sequences never deadlock."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def migrate(self) -> int:
        """Apply every migration not yet applied; returns the schema version reached."""
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, apply in MIGRATIONS:
                if version not in done:
                    apply(conn)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name)
                    )
        return max((v for v, _, _ in MIGRATIONS), default=0)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
