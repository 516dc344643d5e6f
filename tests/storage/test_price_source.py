"""Each run records where its price came from; runs priced before that column were priced by the policy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from commands.providers import TokenCounts
from storage.db import Database
from storage.migrations import MIGRATIONS
from storage.runs import NewRun, RunStore


def test_a_version_3_database_upgrades_and_its_priced_runs_say_policy(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT)")
    shipped = MIGRATIONS.pending(sqlite_utils.Database(memory=True))
    names = ("requests and runs", "digest ledger", "channel settings")
    for version, (migration, name) in enumerate(zip(shipped[:3], names, strict=True), 1):
        migration.fn(sqlite_utils.Database(conn))  # a database left at version 3 by the older runner
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, name))
    conn.execute(
        "INSERT INTO requests (id, channel_id, user_id, task, task_chars, lane, provider, confidence,"
        " created_at) VALUES (1, 'C', 'U', 't', 1, 'cheap', 'anthropic', 0.5, 1)"
    )
    for run_id, cost, known, status in (
        (1, 4_500_000, 1, "succeeded"),
        (2, None, 0, "succeeded"),
        (3, None, None, "failed"),
    ):
        conn.execute(
            "INSERT INTO runs (id, request_id, channel_id, user_id, provider, model, lane, rung, attempt,"
            " status, created_at, cost_nanousd, price_known)"
            " VALUES (?, 1, 'C', 'U', 'anthropic', 'm', 'cheap', 0, ?, ?, 1, ?, ?)",
            (run_id, run_id, status, cost, known),
        )
    conn.commit()
    conn.close()
    store = RunStore(Database(path))
    assert [(r.id, r.price_source) for r in store.runs_for_request(1)] == [
        (1, "policy"),
        (2, None),
        (3, None),
    ]


def test_a_finished_run_keeps_its_price_source_and_an_unknown_price_has_none(tmp_path: Path) -> None:
    store = RunStore(Database(str(tmp_path / "r.db")))
    request, _ = store.create_request(
        channel_id="C", user_id="U", task="t", lane="cheap", provider="anthropic", confidence=0.9, now=1
    )
    sources = []
    for attempt, (cost, source) in enumerate(
        ((4_500_000, "genai-prices 0.2.3"), (None, "genai-prices 0.2.3")), 1
    ):
        new = NewRun(request.id, "C", "U", "anthropic", "claude-haiku-4-5", None, "cheap", 0, attempt=attempt)
        run = store.claim_run(new, 1)
        assert run is not None and store.start_run(run.id, 1)
        done = store.finish_run(
            run.id, now=2, answer="a", tokens=TokenCounts(1, 1), cost_nanousd=cost, price_source=source
        )
        assert done is not None
        sources.append((done.cost_nanousd, done.price_known, done.price_source))
    assert sources == [(4_500_000, 1, "genai-prices 0.2.3"), (None, 0, None)]
