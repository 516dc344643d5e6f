"""The database: migrations upgrade in place, and many threads write without 'database is locked'."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from commands.providers import TokenCounts
from storage.channel_settings import ChannelSettingsStore
from storage.db import Database
from storage.migrations import MIGRATIONS
from storage.runs import NewRun, RunStore


def _old_routebot_database(path: str, versions: int) -> None:
    """A database as routebot's own migration runner left it: the same first migrations, its versions in
    schema_migrations (version, name), and rows written by that routebot."""
    db = sqlite_utils.Database(sqlite3.connect(path))
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT)")
    names = {1: "requests and runs", 2: "digest ledger", 3: "channel settings", 4: "price source"}
    shipped = MIGRATIONS.pending(sqlite_utils.Database(memory=True))  # every migration, in order
    for version in range(1, versions + 1):
        with db.atomic():
            shipped[version - 1].fn(db)
            db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, names[version]))
    with db.atomic():
        db.execute(
            "INSERT INTO requests (channel_id, user_id, task, task_chars, lane, provider, confidence,"
            " card_channel, card_ts, created_at)"
            " VALUES ('C1', 'U1', 'old task', 8, 'cheap', 'anthropic', 0.5, 'C1', '1.0', 1)"
        )
        for status in ("succeeded", "running"):
            db.execute(
                "INSERT INTO runs (request_id, channel_id, user_id, provider, model, lane, rung, attempt,"
                " status, created_at, cost_nanousd, price_known, answer) VALUES (1, 'C1', 'U1', 'anthropic',"
                " 'claude-haiku-4-5', 'cheap', 0, ?, ?, 1, 4200000, 1, 'old answer')",
                (1 if status == "succeeded" else 2, status),
            )
        if versions >= 3:
            db.execute(
                "INSERT INTO channel_settings VALUES ('C1', 'anthropic', 5000000000, 'max', 1, 'UADMIN')"
            )
    db.conn.close()


def test_a_database_made_by_the_old_migration_runner_upgrades_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    _old_routebot_database(path, versions=4)
    database = Database(path)
    applied = [m.name for m in MIGRATIONS.applied(database.db)]
    assert applied == [m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]
    assert applied[:4] == [
        "001_requests_and_runs",
        "002_digest_ledger",
        "003_channel_settings",
        "004_price_source",
    ]
    assert not database.table("schema_migrations").exists()  # adopted, then dropped
    store = RunStore(database)
    old, running = store.runs_for_request(1)
    assert (old.status, old.cost_nanousd, old.answer) == ("succeeded", 4_200_000, "old answer")
    assert (old.delivery, old.delivery_attempts, old.refused, old.owner) == (None, 0, 0, None)
    assert store.request(1).task == "old task"
    settings = ChannelSettingsStore(database).get("C1")
    assert settings is not None and settings.budget_nanousd == 5_000_000_000
    assert settings.version == 1  # 008: a row saved before versions counts as one save
    assert database.table("secrets").exists() and database.table("command_triggers").exists()
    holds = database.conn.execute("SELECT budget_hold_nanousd FROM runs ORDER BY id").fetchall()
    assert holds == [(None,), (None,)]  # runs from before holds hold nothing
    # An old routebot's run in flight has no lease: the new one interrupts it; the old answer, which that
    # routebot posted before delivery was recorded, is not posted again.
    assert [r.id for r in store.interrupt_expired(now=2.0)] == [running.id]
    assert store.take_undelivered(now=2.0) == []
    assert database.migrate() == applied  # idempotent
    assert database.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_left_at_version_one_gets_the_rest(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    _old_routebot_database(path, versions=1)
    database = Database(path)
    assert [m.name for m in MIGRATIONS.applied(database.db)][:3] == [
        "001_requests_and_runs",
        "002_digest_ledger",
        "003_channel_settings",
    ]
    assert database.table("channel_settings").exists() and database.table("digest_ledger").exists()
    assert database.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2


def test_a_database_from_a_newer_routebot_is_refused_clearly(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    _old_routebot_database(path, versions=1)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from the future')")
    conn.commit()
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="schema version 99"):
        Database(path)


def test_processes_opening_a_new_database_together_apply_each_migration_once(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_it() -> None:
        try:
            start.wait()
            Database(path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = [row["name"] for row in Database(path).table("_sqlite_migrations").rows_where(order_by="id")]
    assert names == [m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]


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


def test_conversation_requests_upgrade_in_place_and_their_material_is_purged_with_the_task(
    tmp_path: Path,
) -> None:
    from storage.conversations import ConversationStore, NewRequest

    database = Database(str(tmp_path / "r.db"))
    old, _ = RunStore(database).create_request(
        channel_id="C", user_id="U", task="t", lane="cheap", provider="anthropic", confidence=0.5, now=1
    )
    assert old.source == "command" and old.thread_ts is None and old.answer_thread is None
    conversations = ConversationStore(database)
    new = NewRequest(
        "C",
        "U",
        "summarize",
        "cheap",
        "anthropic",
        0.5,
        "mention",
        thread_ts="9.1",
        material="Ana: the thread",
        material_kind="thread",
        material_messages=1,
        dedupe_key="m:1",
    )
    root, created = conversations.create_request(new, now=2)
    again, created_again = conversations.create_request(new, now=3)
    assert created and not created_again and again.id == root.id  # a redelivered event: the same request
    assert RunStore(database).purge_text(before=10, now=10) == 2
    purged = RunStore(database).request(root.id)
    assert purged is not None and purged.task is None and purged.material is None
    assert purged.material_messages == 1  # counts stay, text goes
