"""Benchmark: streaming an answer into Slack as the model writes it.

A fake model streams 2,000 tokens over 4 s through the real anthropic SDK; the real Bolt app runs each
answer through slack_sdk's ChatStream into the fake Slack. Measured per answer: the time from the model
sending its first token to the first text arriving in the fake Slack's stream (chat.startStream), and the
Slack calls the answer took. 50 answers, 10 at a time (five rounds of 4 s). Run from the repo root:
`python -m bench.stream`. It prints each figure beside its goal and exits 0; pytest does not collect it.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, ms, percentile, run_sections  # noqa: E402

ANSWERS = 50
AT_ONCE = 10
TOKENS = 2_000
SECONDS = 4.0
INTERVAL_GOAL = 0.25


def bench_streaming() -> list[Row]:
    from bot.app import build_app, slack_client
    from storage.db import Database
    from tests.conftest import SECRET, make_settings
    from tests.fakes.models import FakeAnthropic
    from tests.fakes.slack import FakeSlack
    from tests.fakes.slack_requests import actions_from_blocks, bolt_request, click, slash_command

    answer = " ".join(f"tok{n}" for n in range(TOKENS))
    with (
        tempfile.TemporaryDirectory(prefix="routebot-bench-") as tmp,
        FakeSlack() as slack,
        FakeAnthropic() as anthropic,
    ):
        db = os.path.join(tmp, "routebot.db")
        settings = make_settings(
            slack,
            anthropic,
            None,
            db,
            ROUTEBOT_STREAM_ANSWERS="on",
            ROUTEBOT_RUN_WORKERS="",
            ROUTEBOT_LISTENER_WORKERS="",
        )
        built = build_app(settings, client=slack_client(settings), database=Database(db))
        conn = built.bot.database.conn
        anthropic.reply(answer, {"output_tokens": TOKENS})
        anthropic.pace_over = SECONDS
        try:
            for i in range(ANSWERS):  # setup, untimed: one card per answer
                body = slash_command(
                    "/route", f"Summarize support thread #{i}", response_url=slack.response_url("r")
                )
                built.app.dispatch(bolt_request(body, SECRET))
            cards = slack.wait_for("chat.postMessage", count=ANSWERS, timeout=60)
            deadline = time.monotonic() + 30
            while (
                conn.execute("SELECT count(*) FROM requests WHERE card_ts IS NOT NULL").fetchone()[0]
                < ANSWERS
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("cards were not recorded")
                time.sleep(0.01)
            card_ts = dict(conn.execute("SELECT id, card_ts FROM requests"))
            presses = []
            for call in cards:
                button = next(
                    b for b in actions_from_blocks(call.args["blocks"]) if b["action_id"] == "run_anthropic"
                )
                presses.append((button, card_ts[json.loads(button["value"])["request"]]))
            started = time.perf_counter()
            for round_start in range(0, ANSWERS, AT_ONCE):
                for button, ts in presses[round_start : round_start + AT_ONCE]:
                    body = click(button, message_ts=ts, response_url=slack.response_url("click"))
                    built.app.dispatch(bolt_request(body, SECRET))
                slack.wait_for("chat.stopStream", count=round_start + AT_ONCE, timeout=60)
            wall = time.perf_counter() - started
            task_of = {str(ts): str(task) for ts, task in conn.execute("SELECT card_ts, task FROM requests")}
        finally:
            built.close()
        calls = slack.calls()
        # Each answer's calls by its stream's ts; the stream's thread names the request, whose task names
        # the model stream it came from.
        streams: dict[str, list] = defaultdict(list)
        for call in calls:
            if call.method in ("chat.appendStream", "chat.stopStream"):
                streams[call.args["ts"]].append(call)
        start_of = {c.args["thread_ts"]: c for c in calls if c.method == "chat.startStream"}
        thread_of = {ts: slack.message(ts)["thread_ts"] for ts in streams}
        texts_whole = all(slack.message(ts)["text"].split() == answer.split() for ts in streams)
    first_of = {body["messages"][0]["content"]: at for at, body in anthropic.first_delta_at}
    lags = [start.at - first_of[task_of[thread]] for thread, start in start_of.items()]
    per_answer = [1 + len(v) for v in streams.values()]
    gaps = []
    for ts, later in streams.items():
        sequence = [start_of[thread_of[ts]], *later]
        gaps += [b.at - a.at for a, b in itertools.pairwise(sequence) if b.method == "chat.appendStream"]
    within = sum(g < INTERVAL_GOAL for g in gaps)
    print(
        f"streaming: {ANSWERS} answers, {AT_ONCE} at a time; each {TOKENS:,} tokens over {SECONDS:g} s from "
        f"FakeAnthropic through the real anthropic SDK; all answers stopped after {wall:.1f} s; "
        f"{len(gaps)} appends measured"
    )
    return [
        Row("model's first token -> first text in Slack, p50", ms(percentile(lags, 50)), "", None),
        Row(
            "model's first token -> first text in Slack, p99",
            ms(percentile(lags, 99)),
            "<= 300 ms",
            percentile(lags, 99) <= 0.3,
        ),
        Row(
            "Slack streaming calls per answer, median (max)",
            f"{percentile(per_answer, 50):.0f} ({max(per_answer)})",
            "",
            None,
        ),
        Row(
            "gap between one answer's appends, min / p50",
            f"{ms(min(gaps))} / {ms(percentile(gaps, 50))}",
            "",
            None,
        ),
        Row("appends closer than 250 ms to the previous call", f"{within} of {len(gaps)}", "0", within == 0),
        Row(
            "answers complete in Slack",
            f"{len(streams) if texts_whole else 'NOT ALL'} of {ANSWERS}",
            f"{ANSWERS}",
            texts_whole and len(streams) == ANSWERS,
        ),
    ]


def main() -> int:
    return run_sections("routebot streaming benchmark", [("streaming answers", bench_streaming)])


if __name__ == "__main__":
    raise SystemExit(main())
