"""Benchmark: the bot's own cost per run, 50 concurrent runs on a slow model, SQLite write throughput.

Run from the repo root: `python bench/run.py`. It measures and prints a table with each goal and
PASS/MISS; it never fails (exit status 0), so it is not a test and pytest does not collect it.
Everything runs on 127.0.0.1 (FakeSlack and FakeAnthropic on ephemeral ports); every loop is bounded in
count and time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, ms, percentile, run_sections  # noqa: E402

OVERHEAD_RUNS = 300
OVERHEAD_WARMUP = 20
CONCURRENT_RUNS = 50
MODEL_DELAY = 2.0
WRITE_THREADS = 16
WRITES_PER_THREAD = 1_000
WRITE_TIME_CAP = 60.0  # seconds; the section stops early rather than run away
ANSWER = "Billing: 120, bug: 150, other: 30. " * 8


class InstantProvider:
    """A commands.providers.Provider that answers at once, so only the bot's own work is timed."""

    name = "anthropic"

    def stream(self, *, model: str, effort: str | None, turns: Any, on_text: Any) -> Any:
        from commands.providers import Completion, TokenCounts

        on_text(ANSWER)
        return Completion(text=ANSWER, tokens=TokenCounts(input_tokens=1200, output_tokens=350))


def _new_request(store: Any, i: int, channel: str = "C1") -> Any:
    request, _ = store.create_request(
        channel_id=channel,
        user_id="U1",
        task=f"Tag each of these tickets, batch {i}",
        lane="cheap",
        provider="anthropic",
        confidence=0.9,
        now=time.time(),
    )
    store.set_card(request.id, channel, f"1700000000.{i:06d}")
    return request


# --- 1. the bot's own overhead per run ------------------------------------------------------------------


def bench_overhead() -> list[Row]:
    from bot.app import build_app
    from bot.slack_client import slack_client
    from storage.db import Database
    from tests.conftest import make_settings
    from tests.fakes.slack import FakeSlack

    with tempfile.TemporaryDirectory(prefix="routebot-bench-") as tmp, FakeSlack() as slack:
        db = os.path.join(tmp, "routebot.db")
        settings = make_settings(slack, None, None, db, ROUTEBOT_RUN_WORKERS="", ROUTEBOT_LISTENER_WORKERS="")
        built = build_app(
            settings,
            client=slack_client(settings),
            database=Database(db),
            providers={"anthropic": InstantProvider()},
        )
        runs, store, dispatcher = built.bot.runs, built.bot.store, built.bot.dispatcher
        try:
            times: list[float] = []
            failed = 0
            deadline = time.monotonic() + 120
            for i in range(OVERHEAD_WARMUP + OVERHEAD_RUNS):
                plan = runs.plan_first_run(_new_request(store, i).id, "anthropic")
                start = time.perf_counter()
                run = runs.claim(plan, "U1")
                finished = dispatcher.start(run).result(timeout=30) if run is not None else None
                elapsed = time.perf_counter() - start
                if finished is None or finished.status != "succeeded":
                    failed += 1
                if i >= OVERHEAD_WARMUP:
                    times.append(elapsed)
                if time.monotonic() > deadline:
                    break
            posts = len(slack.calls("chat.postMessage")) / (OVERHEAD_WARMUP + OVERHEAD_RUNS)
            updates = len(slack.calls("chat.update")) / (OVERHEAD_WARMUP + OVERHEAD_RUNS)
        finally:
            built.close()
    print(
        f"overhead: {len(times)} runs one after another (after {OVERHEAD_WARMUP} warm-up), instant provider; "
        f"per run {posts:.1f} chat.postMessage + {updates:.1f} chat.update to FakeSlack"
    )
    p50 = percentile(times, 50)
    return [
        Row("claim -> answer posted, p50", ms(p50), "<= 20 ms", p50 <= 0.020),
        Row("claim -> answer posted, p99", ms(percentile(times, 99)), "", None),
        Row("runs not succeeded", f"{failed}", "0", failed == 0),
    ]


# --- 2. 50 runs at once on a model that takes 2 s -------------------------------------------------------


def bench_concurrency() -> list[Row]:
    from bot.app import build_app
    from bot.slack_client import slack_client
    from storage.db import Database
    from tests.conftest import SECRET, make_settings
    from tests.fakes.models import FakeAnthropic
    from tests.fakes.slack import FakeSlack
    from tests.fakes.slack_requests import actions_from_blocks, bolt_request, click, slash_command

    with (
        tempfile.TemporaryDirectory(prefix="routebot-bench-") as tmp,
        FakeSlack() as slack,
        FakeAnthropic() as anthropic,
    ):
        db = os.path.join(tmp, "routebot.db")
        # Empty values mean the defaults: ROUTEBOT_RUN_WORKERS 64, ROUTEBOT_LISTENER_WORKERS 32.
        settings = make_settings(
            slack, anthropic, None, db, ROUTEBOT_RUN_WORKERS="", ROUTEBOT_LISTENER_WORKERS=""
        )
        built = build_app(settings, client=slack_client(settings), database=Database(db))
        conn = built.bot.database.conn
        try:
            # Setup (untimed): 50 distinct /route requests through Bolt, each with its card and Run button.
            for i in range(CONCURRENT_RUNS):
                body = slash_command(
                    "/route",
                    f"Summarize support thread #{i} in 3 bullets for the team",
                    response_url=slack.response_url(f"route-{i}"),
                )
                built.app.dispatch(bolt_request(body, SECRET))
            cards = slack.wait_for("chat.postMessage", count=CONCURRENT_RUNS, timeout=30)
            setup_deadline = time.monotonic() + 30
            while (
                time.monotonic() < setup_deadline
                and conn.execute("SELECT count(*) FROM requests WHERE card_ts IS NOT NULL").fetchone()[0]
                < CONCURRENT_RUNS
            ):
                time.sleep(0.01)
            card_ts = dict(conn.execute("SELECT id, card_ts FROM requests"))
            presses = []
            for call in cards:
                button = next(
                    b for b in actions_from_blocks(call.args["blocks"]) if b["action_id"] == "run_anthropic"
                )
                request_id = json.loads(button["value"])["request"]
                presses.append((button, card_ts[request_id]))
            anthropic.delay = MODEL_DELAY

            gate = threading.Barrier(CONCURRENT_RUNS)

            def press(item: tuple[dict[str, Any], str]) -> int:
                button, ts = item
                body = click(button, message_ts=ts, response_url=slack.response_url("click"))
                gate.wait(timeout=10)
                return built.app.dispatch(bolt_request(body, SECRET)).status

            with ThreadPoolExecutor(CONCURRENT_RUNS) as pool:
                started = time.perf_counter()
                statuses = list(pool.map(press, presses))
                acked = time.perf_counter() - started
            succeeded = 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                succeeded = conn.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'").fetchone()[0]
                if succeeded >= CONCURRENT_RUNS:
                    break
                time.sleep(0.005)
            wall = time.perf_counter() - started
            answers = slack.wait_for(
                "chat.postMessage",
                count=CONCURRENT_RUNS,
                timeout=30,
                predicate=lambda c: "Answer from" in json.dumps(c.args.get("blocks") or []),
            )
            answered = time.perf_counter() - started
            model_calls = len(anthropic.requests)
        finally:
            anthropic.delay = 0.0
            built.close()
    print(
        f"concurrency: {CONCURRENT_RUNS} Run clicks dispatched through Bolt together; real anthropic SDK -> "
        f"FakeAnthropic (delay {MODEL_DELAY:g} s); run pool {settings.run_workers}, listener pool "
        f"{settings.listener_workers}; {model_calls} model calls; all clicks acked in {ms(acked)}"
    )
    return [
        Row(
            f"{CONCURRENT_RUNS} runs: click -> all recorded succeeded",
            f"{wall:.2f} s",
            "<= 5 s",
            succeeded >= CONCURRENT_RUNS and wall <= 5.0,
        ),
        Row(
            "runs recorded succeeded",
            f"{succeeded} of {CONCURRENT_RUNS}",
            f"{CONCURRENT_RUNS}",
            succeeded >= CONCURRENT_RUNS,
        ),
        Row(f"{CONCURRENT_RUNS} runs: click -> all answers posted", f"{answered:.2f} s", "", None),
        Row("answers in FakeSlack", f"{len(answers)}", "", None),
        Row(
            "clicks answered 200",
            f"{statuses.count(200)} of {CONCURRENT_RUNS}",
            f"{CONCURRENT_RUNS}",
            statuses.count(200) == CONCURRENT_RUNS,
        ),
    ]


# --- 3. SQLite write throughput -------------------------------------------------------------------------


def record_runs(threads: int, per_thread: int, path: str) -> tuple[int, float, int, list[str], list[float]]:
    """Each thread records `per_thread` runs (the writes one run makes); returns
    (runs recorded, seconds, "database is locked" errors, other errors, per-run seconds)."""
    from commands.providers import TokenCounts
    from storage.db import Database
    from storage.runs import NewRun, RunStore

    database = Database(path)
    store = RunStore(database)
    tokens = TokenCounts(input_tokens=1200, output_tokens=350, cache_read_tokens=100)
    lock = threading.Lock()
    counts = {"done": 0, "locked": 0}
    errors: list[str] = []
    latencies: list[float] = []
    gate = threading.Barrier(threads)
    stop_at = [0.0]

    def worker(t: int) -> None:
        gate.wait(timeout=30)
        local: list[float] = []
        done = 0
        try:
            for i in range(per_thread):
                if time.monotonic() > stop_at[0]:
                    break
                start = time.perf_counter()
                try:
                    now = time.time()
                    request, _ = store.create_request(
                        channel_id=f"C{t}",
                        user_id=f"U{i % 10}",
                        task="Tag each of these tickets",
                        lane="cheap",
                        provider="anthropic",
                        confidence=0.9,
                        now=now,
                    )
                    run = store.claim_run(
                        NewRun(request.id, f"C{t}", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0),
                        now,
                    )
                    assert run is not None
                    store.start_run(run.id, now)
                    store.finish_run(run.id, now=now, answer=ANSWER, tokens=tokens, cost_nanousd=1_234_000)
                    done += 1
                except sqlite3.OperationalError as exc:
                    with lock:
                        if "locked" in str(exc):
                            counts["locked"] += 1
                        else:
                            errors.append(str(exc))
                local.append(time.perf_counter() - start)
        finally:
            database.close()
            with lock:
                counts["done"] += done
                latencies.extend(local)

    pool = [threading.Thread(target=worker, args=(t,), name=f"writer-{t}") for t in range(threads)]
    stop_at[0] = time.monotonic() + WRITE_TIME_CAP
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=WRITE_TIME_CAP + 30)
    elapsed = time.perf_counter() - started
    database.close()
    return counts["done"], elapsed, counts["locked"], errors, latencies


def bench_sqlite() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="routebot-bench-") as tmp:
        single, single_s, _, _, _ = record_runs(1, 2_000, os.path.join(tmp, "single.db"))
        path = os.path.join(tmp, "routebot.db")
        done, elapsed, locked, errors, latencies = record_runs(WRITE_THREADS, WRITES_PER_THREAD, path)
        check = sqlite3.connect(path)
        stored = check.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'").fetchone()[0]
        mode = check.execute("PRAGMA journal_mode").fetchone()[0]
        check.close()
    rate = done / elapsed
    print(
        f"sqlite: {WRITE_THREADS} threads x {WRITES_PER_THREAD:,} runs into one WAL file ({mode}); per run: "
        "create_request + claim_run + start_run + finish_run; "
        f"{stored:,} succeeded rows in the file; 1 thread alone: {single / single_s:,.0f} runs/s"
    )
    for error in errors[:3]:
        print(f"  other error: {error}")
    rows += [
        Row(f"runs recorded/s, {WRITE_THREADS} threads", f"{rate:,.0f}/s", ">= 2,000/s", rate >= 2000),
        Row("runs recorded", f"{done:,} in {elapsed:.2f} s", "", None),
        Row("'database is locked' errors", f"{locked}", "0", locked == 0),
        Row("other errors", f"{len(errors)}", "0", not errors),
        Row(
            "one run's writes, p50 / p99 / max",
            f"{ms(percentile(latencies, 50))} / {ms(percentile(latencies, 99))} / {ms(max(latencies))}",
            "",
            None,
        ),
    ]
    return rows


def main() -> int:
    title = (
        f"routebot bench_run — Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} cores"
    )
    sections = [
        ("1. the bot's own overhead per run (instant provider)", bench_overhead),
        (f"2. {CONCURRENT_RUNS} concurrent runs, model answering in {MODEL_DELAY:g} s", bench_concurrency),
        ("3. SQLite write throughput (storage.runs.RunStore)", bench_sqlite),
    ]
    return run_sections(title, sections)


if __name__ == "__main__":
    sys.exit(main())
