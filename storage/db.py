"""Open routebot's SQLite database: WAL mode, one connection per thread, migrations applied at startup.

sqlite3 connections belong to the thread that made them (check_same_thread), and Bolt runs listeners on a
pool, so each thread gets its own sqlite-utils Database on the same file. WAL lets readers run beside the
one writer; busy_timeout makes a writer wait for the lock instead of failing with "database is locked".
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils
from sqlite_utils.db import Table

from storage.migrations import MIGRATIONS, adopt_legacy_versions

BUSY_TIMEOUT_MS = 30_000


class _KnownTable(Table):
    """sqlite-utils' Table, remembering that it exists and what its primary key is.

    The schema only changes in migrations, at startup, yet Table looks both up again on every get() and
    update() (sqlite_master, then PRAGMA table_info): on the runs table that cost more than the query itself.
    """

    @functools.cached_property
    def pks(self) -> list[str]:
        return super().pks

    def exists(self) -> bool:
        if not self.__dict__.get("_exists"):
            self.__dict__["_exists"] = super().exists()
        return bool(self.__dict__["_exists"])


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once (the mode is stored in the file, so later connections find it set).

    The switch needs the file to itself and SQLite answers "database is locked" at once, without its busy
    handler, when another connection is opening the same new file: two servers started together. So it is
    tried again for as long as busy_timeout would have waited.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def row_dict(cursor: sqlite3.Cursor, row: tuple[object, ...]) -> dict[str, Any]:
    """A row that `cursor` returned, by column name, as sqlite-utils' rows are."""
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def inserted_id(table: Table) -> int:
    """The id of the row `table.insert()` just wrote (routebot's ids are INTEGER PRIMARY KEY: the rowid)."""
    if table.last_rowid is None:
        raise LookupError(f"no row was inserted into {table.name}")
    return table.last_rowid


class Database:
    def __init__(self, path: str) -> None:
        if path == ":memory:":
            raise ValueError("routebot needs a file database so its worker threads share it; use a temp file")
        self.path = path
        self._local = threading.local()
        self.migrate()

    def _connect(self) -> sqlite_utils.Database:
        # isolation_level=None: each statement commits on its own unless transaction() (or sqlite-utils'
        # atomic()) opened one, so no write is left waiting for a commit that never comes.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_wal(conn)
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

    def table(self, name: str) -> Table:
        """A table on this thread's connection (sqlite-utils' table API: insert, get, update, rows_where)."""
        tables: dict[str, Table] | None = getattr(self._local, "tables", None)
        if tables is None or self._local.tables_db is not self.db:
            tables = self._local.tables = {}
            self._local.tables_db = self.db
        if name not in tables:
            tables[name] = _KnownTable(self.db, name)
        return tables[name]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so read-then-write sequences never deadlock.

        sqlite-utils' own writes inside it (insert, update, atomic()) become savepoints of this transaction.
        """
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply every migration not yet applied; returns the names of all applied, oldest first.

        One write transaction around the whole set, so two processes starting together on one file apply
        each migration once: the second waits for the lock, then finds nothing pending.
        """
        db = self.db
        with self.transaction():
            adopt_legacy_versions(db)
            MIGRATIONS.apply(db)
        return [m.name for m in MIGRATIONS.applied(db)]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
