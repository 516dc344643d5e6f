"""Benchmark: every channel's weekly digest over 1,000,000 runs in 1,000 channels.

    python bench/digest.py [--runs 1000000] [--channels 1000] [--previous-runs 0] [--show-users]

Builds the runs in a temp SQLite file (one executemany transaction, through routebot's own migrations), then
times computing every channel's digest for the week the runs fall in, the way the weekly job does, and
reports peak memory: tracemalloc's peak for Python allocations during the computation, and the process's
peak resident set (ru_maxrss, SQLite included; the runs are built in a child process, so not that).
Not collected by pytest (the name does not start with test_). Figures are in README.md, "Performance".
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Row, print_table
from commands.digest import DigestOptions, compute_digests
from commands.ladder import next_step
from commands.policy import Policy, load_policy
from commands.pricing import price_of_run
from commands.providers import TokenCounts
from commands.weeks import Week, parse_week
from storage.db import Database

TZ = "UTC"
WEEK = "2026-W10"
START_LANES = (("cheap", 40), ("default", 35), ("code", 10), ("premium", 12), ("max", 3))
REASONS = ("wrong_answer", "too_shallow", "missed_context", "high_stakes", "other", None)
UNPRICED = "legacy-model-1"  # 1% of runs: unknown price, counted apart


def _templates(rng: random.Random, count: int = 400) -> list[TokenCounts]:
    templates = []
    for _ in range(count):
        cached = rng.random() < 0.3
        size = rng.choice((300, 2_000, 12_000, 60_000, 300_000 if rng.random() < 0.05 else 20_000))
        templates.append(
            TokenCounts(
                input_tokens=size,
                output_tokens=rng.randint(50, 4_000),
                cache_read_tokens=size // 2 if cached else 0,
                cache_write_tokens=0,
            )
        )
    return templates


def build(path: str, *, runs: int, channels: int, week: Week, previous_runs: int, seed: int = 7) -> None:
    """`runs` runs spread over `week` (and `previous_runs` over the week before), in one transaction."""
    policy = load_policy()
    rng = random.Random(seed)
    database = Database(path)
    with database.transaction() as conn:
        requests: list[tuple[object, ...]] = []
        runs_: list[tuple[object, ...]] = []
        for request, request_runs in _requests(
            policy, rng, channels, ((week, runs), (week.previous(TZ), previous_runs))
        ):
            requests.append(request)
            runs_.extend(request_runs)
            if len(runs_) >= 50_000:
                _insert(conn, requests, runs_)
        _insert(conn, requests, runs_)
    database.close()


def _requests(  # type: ignore[no-untyped-def]
    policy: Policy, rng: random.Random, channels: int, spans: tuple[tuple[Week, int], ...]
):
    """Yield (request row, its runs): a first run on a weighted lane, then an escalation 25% of the time."""
    templates = _templates(rng)
    costs: dict[tuple[str, str, int], int | None] = {}
    lanes = [lane for lane, weight in START_LANES for _ in range(weight)]
    request_id = run_id = 0
    for span, target in spans:
        made = 0
        while made < target:
            request_id += 1
            channel, user = f"C{rng.randrange(channels):04d}", f"U{rng.randrange(200):03d}"
            lane = rng.choice(lanes)
            provider = "anthropic" if rng.random() < 0.7 else "openai"
            at = span.start + rng.random() * (span.end - span.start - 3_600)
            request = (request_id, channel, user, 10, lane, provider, 0.8, at)
            rows: list[tuple[object, ...]] = []
            escalated_from = None
            choice = policy.lane(lane).models[provider]
            while True:
                run_id += 1
                made += 1
                status = rng.choices(("succeeded", "failed", "interrupted"), (92, 6, 2))[0]
                model = UNPRICED if rng.random() < 0.01 else choice.model
                t = rng.randrange(len(templates))
                if (provider, model, t) not in costs:
                    price = price_of_run(policy, provider, model, templates[t], span.start)
                    costs[(provider, model, t)] = price.nanousd if price else None
                tokens = templates[t]
                if status == "succeeded":
                    cost = costs[(provider, model, t)]
                    counts = (tokens.input_tokens, tokens.output_tokens, tokens.cache_read_tokens, 0, 0)
                    outcome = (cost, int(cost is not None))
                else:
                    counts, outcome = (None,) * 5, (None, None)
                reason = rng.choice(REASONS) if escalated_from else None
                rows.append(
                    (
                        run_id,
                        request_id,
                        channel,
                        user,
                        provider,
                        model,
                        choice.effort,
                        lane,
                        policy.lane(lane).rung,
                        1,
                        status,
                        escalated_from,
                        reason,
                        at,
                        at,
                        at + 20,
                        *counts,
                        *outcome,
                    )
                )
                step = next_step(policy, lane, provider)
                if step is None or made >= target or rng.random() > 0.25:
                    break
                escalated_from, lane, choice = run_id, step.lane, step.choice
                at += rng.random() * 600
            yield request, rows


def _insert(
    conn: sqlite3.Connection, requests: list[tuple[object, ...]], runs: list[tuple[object, ...]]
) -> None:
    conn.executemany(
        "INSERT INTO requests (id, channel_id, user_id, task_chars, lane, provider, confidence,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        requests,
    )
    conn.executemany(
        "INSERT INTO runs (id, request_id, channel_id, user_id, provider, model, effort, lane, rung,"
        " attempt, status, escalated_from, escalation_reason, created_at, started_at, ended_at,"
        " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,"
        " cost_nanousd, price_known) VALUES (" + ", ".join("?" * 23) + ")",
        runs,
    )
    requests.clear()
    runs.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="runs in the week the digests cover")
    parser.add_argument("--channels", type=int, default=1_000)
    parser.add_argument("--previous-runs", type=int, default=0, help="runs in the week before it")
    parser.add_argument("--show-users", action="store_true", help="also compute per-user spend")
    parser.add_argument("--repeat", type=int, default=3, help="timed computations (the median is reported)")
    parser.add_argument("--keep", help="build into this file and keep it; an existing file is reused")
    args = parser.parse_args(argv)
    week = parse_week(WEEK, TZ)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "bench.db")
        began = time.perf_counter()
        if not os.path.exists(path):
            # In a child process, so the rows built in Python don't count towards the digests' peak memory.
            child = multiprocessing.get_context("fork").Process(
                target=build,
                args=(path,),
                kwargs=dict(
                    runs=args.runs, channels=args.channels, week=week, previous_runs=args.previous_runs
                ),
            )
            child.start()
            child.join()
            if child.exitcode:
                return 1
        built = time.perf_counter() - began
        policy = load_policy()
        database = Database(path)
        options = DigestOptions(tz=TZ, show_users=args.show_users)
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            digests = compute_digests(database, policy, week, options)  # what the weekly job computes
            times.append(time.perf_counter() - began)
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux; before tracemalloc's own
        tracemalloc.start()  # a separate run: tracing every allocation slows Python down and costs memory
        compute_digests(database, policy, week, options)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = os.path.getsize(path)
        database.close()
    total = sum(d.summary.runs for d in digests)
    took = statistics.median(times)
    print_table(
        f"Weekly digests: {total:,} runs in the week ({args.previous_runs:,} more the week before) in"
        f" {len(digests):,} channels; built in {built:.1f} s, database {size / 1e6:.0f} MB",
        [
            Row(
                f"every channel's digest, median of {args.repeat} ({', '.join(f'{t:.2f}' for t in times)})",
                f"{took:.2f} s",
                "<= 2 s",
                took <= 2,
            ),
            Row(
                "peak Python memory while computing (tracemalloc)",
                f"{peak / 1e6:.1f} MB",
                "<= 300 MB",
                peak <= 300e6,
            ),
            Row(
                "peak resident set of the process (ru_maxrss, SQLite included)",
                f"{rss_kib / 1024:.0f} MB",
                "<= 300 MB",
                rss_kib <= 300 * 1024,
            ),
        ],
    )
    return 0  # it measures; it is not a test


if __name__ == "__main__":
    raise SystemExit(main())
