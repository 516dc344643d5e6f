"""Two real `routebot serve` processes on one database, as a rolling deploy runs them, against the fakes.

The first is answering a Run (the fake model takes a while) when the second starts on the same file: the
second must leave that run alone, and the request ends with one answer and one charge.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.fakes.models import FakeAnthropic
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import actions_from_blocks, click, post, slash_command

ROOT = Path(__file__).resolve().parents[2]
TASK = "Tag each of these 300 support tickets as billing, bug or other"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int, server: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"routebot serve exited: {server.stderr.read() if server.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("routebot serve did not become healthy")


def _card_recorded(db: Path, timeout: float = 10.0) -> str:
    """The card's ts, once the server has recorded it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT card_ts FROM requests WHERE id = 1").fetchone()
            if row not in (None, (None,)):
                return str(row[0])
        time.sleep(0.02)
    raise AssertionError("the card's ts was never recorded")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[FakeSlack, FakeAnthropic, object]]:
    started: list[subprocess.Popen[str]] = []
    with FakeSlack() as slack, FakeAnthropic() as anthropic:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ROUTEBOT_", "ANTHROPIC_"))}
        env.update(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            ROUTEBOT_DB=str(tmp_path / "routebot.db"),
            ANTHROPIC_API_KEY="sk-ant-test",
            ANTHROPIC_BASE_URL=anthropic.url.rstrip("/"),
            ROUTEBOT_PROVIDER_MAX_RETRIES="0",
            ROUTEBOT_STREAM_ANSWERS="off",  # answers read as posted messages, as in tests/conftest.py
        )
        env.pop("OPENAI_API_KEY", None)

        def start() -> str:
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            started.append(server)
            _healthy(port, server)
            return f"http://127.0.0.1:{port}/slack/events"

        yield slack, anthropic, start
        for server in started:
            server.send_signal(signal.SIGTERM)
        for server in started:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def test_a_server_started_while_another_answers_leaves_its_run_alone(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    slack, anthropic, start = serve
    first = start()
    status, _ = post(first, slash_command("/route", TASK, response_url=slack.response_url("route")), SECRET)
    assert status == 200
    (card,) = slack.wait_for("chat.postMessage", timeout=10)
    card_ts = _card_recorded(tmp_path / "routebot.db")  # the server stores it right after posting the card
    anthropic.hold()  # the model call stays in flight until the second server has started
    # The card's own Run button: its value is sealed with the key the server keeps in the database.
    (button,) = [b for b in actions_from_blocks(card.args["blocks"]) if b["action_id"] == "run_anthropic"]
    run = click(button, message_ts=card_ts, response_url=slack.response_url("click"))
    assert post(first, run, SECRET)[0] == 200
    anthropic.wait_for(1, timeout=10)
    start()  # the second server: same database; healthy means its startup recovery has run
    assert not any("interrupted" in json.dumps(c.args) for c in slack.calls("chat.postMessage"))
    anthropic.release()
    answers = slack.wait_for(
        "chat.postMessage", timeout=20, predicate=lambda c: "Answer from" in json.dumps(c.args)
    )
    thread = [c.args for c in slack.calls("chat.postMessage") if c.args.get("thread_ts")]
    assert len(answers) == 1 and not any("interrupted" in json.dumps(m) for m in thread)
    with sqlite3.connect(tmp_path / "routebot.db") as conn:
        rows = conn.execute("SELECT status, cost_nanousd, delivery FROM runs").fetchall()
    assert len(rows) == 1 and rows[0][0] == "succeeded" and rows[0][1] > 0
    assert card.args["channel"] == "C1"
