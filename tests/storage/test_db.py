"""The database: migrations upgrade in place, and many threads write without 'database is locked'."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from commands.providers import TokenCounts
from storage.db import Database
from storage.migrations import MIGRATIONS
from storage.runs import NewRun, RunStore


def test_migrations_apply_once_and_upgrade_an_existing_database(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT)")
    MIGRATIONS[0][2](conn)  # a database left at version 1 by an older routebot
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'requests and runs')")
    conn.execute(
        "INSERT INTO requests (channel_id, user_id, task, task_chars, lane, provider, confidence,"
        " created_at) VALUES ('C', 'U', 't', 1, 'cheap', 'anthropic', 0.5, 1)"
    )
    conn.commit()
    conn.close()
    database = Database(path)
    versions = [r[0] for r in database.conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m[0] for m in MIGRATIONS]
    assert database.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1
    assert database.migrate() == MIGRATIONS[-1][0]  # idempotent
    assert database.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sixteen_threads_record_runs_without_lock_errors(tmp_path: Path) -> None:
    store = RunStore(Database(str(tmp_path / "r.db")))
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(40):
                request, _ = store.create_request(
                    channel_id="C",
                    user_id=f"U{worker}",
                    task="t",
                    lane="cheap",
                    provider="anthropic",
                    confidence=0.5,
                    now=float(i),
                )
                run = store.claim_run(
                    NewRun(request.id, "C", "U", "anthropic", "m", None, "cheap", 0), float(i)
                )
                assert run is not None
                store.start_run(run.id, float(i))
                store.finish_run(run.id, now=float(i), answer="a", tokens=TokenCounts(1, 1), cost_nanousd=7)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.database.conn.execute("SELECT COUNT(*), SUM(cost_nanousd) FROM runs").fetchone() == (
        640,
        4480,
    )


def test_claim_is_unique_per_request_rung_provider_attempt(tmp_path: Path) -> None:
    store = RunStore(Database(str(tmp_path / "r.db")))
    request, _ = store.create_request(
        channel_id="C", user_id="U", task="t", lane="cheap", provider="anthropic", confidence=0.5, now=1.0
    )
    new = NewRun(request.id, "C", "U", "anthropic", "m", None, "cheap", 0)
    assert store.claim_run(new, 1.0) is not None
    assert store.claim_run(new, 1.0) is None
    assert store.claim_run(NewRun(request.id, "C", "U", "openai", "m", "low", "cheap", 0), 1.0) is not None
