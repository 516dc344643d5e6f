"""Shared test harness: the real Bolt app, real SDKs, and local fakes for Slack and both model APIs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.response import BoltResponse

from bot.app import Built, build_app
from bot.config import Config, load_config
from bot.slack_client import slack_client
from storage.db import Database
from tests.fakes.models import FakeAnthropic, FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_requests import actions_from_blocks, bolt_request, click, slash_command

SECRET = "test-signing-secret"
SHARED = Path(__file__).resolve().parents[2] / "shared"


class Clock:
    """A settable clock: tests decide what time it is."""

    def __init__(self, now: float = 1_764_000_000.0) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Harness:
    slack: FakeSlack
    anthropic: FakeAnthropic
    openai: FakeOpenAI
    config: Config
    built: Built
    clock: Clock
    db_path: str
    responses: list[BoltResponse] = field(default_factory=list)

    @property
    def app(self):  # type: ignore[no-untyped-def]
        return self.built.app

    @property
    def bot(self):  # type: ignore[no-untyped-def]
        return self.built.bot

    def command(
        self,
        command: str,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        trigger_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> BoltResponse:
        body = slash_command(
            command,
            text,
            user_id=user,
            channel_id=channel,
            response_url=self.slack.response_url(f"{command[1:]}-{user}"),
            trigger_id=trigger_id,
        )
        response = self.app.dispatch(bolt_request(body, SECRET, headers))
        self.responses.append(response)
        return response

    def route(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """Send /route and return the card the bot posted (the chat.postMessage call's args)."""
        before = len([c for c in self.slack.calls("chat.postMessage") if _is_card(c.args)])
        response = self.command("/route", text, **kwargs)
        assert response.status == 200, response.body
        # Other messages (a settings notice, a budget warning from a run finishing meanwhile) may land in
        # between; a card is never a thread reply.
        calls = self.slack.wait_for(
            "chat.postMessage", count=before + 1, predicate=lambda c: _is_card(c.args)
        )
        return {**calls[before].args, "ts": self.latest_card_ts()}

    def latest_card_ts(self, timeout: float = 20.0) -> str:
        """The ts of the newest card, once the listener has recorded it (it does so right after posting)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.bot.store.database.conn.execute(
                "SELECT card_ts FROM requests ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row and row[0]:
                return str(row[0])
            time.sleep(0.005)
        raise AssertionError("no card ts recorded")

    def buttons(self, message_args: dict[str, Any]) -> list[dict[str, Any]]:
        return actions_from_blocks(message_args["blocks"])

    def press(
        self,
        button: dict[str, Any],
        *,
        user: str = "U1",
        channel: str = "C1",
        message_ts: str = "1.0",
        thread_ts: str | None = None,
        state: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> BoltResponse:
        """Click `button` on the message `message_ts` (in the thread `thread_ts`, if given) in `channel`."""
        body = click(
            button,
            user_id=user,
            channel_id=channel,
            message_ts=message_ts,
            thread_ts=thread_ts,
            response_url=self.slack.response_url(f"click-{user}"),
            state=state,
        )
        response = self.app.dispatch(bolt_request(body, SECRET, headers))
        self.responses.append(response)
        return response

    def runs_settled(self, timeout: float = 10.0) -> None:
        """Wait until everything the run pool took so far has finished, finished-run hooks included.

        One barrier task per worker: the barrier opens only once every worker is free to wait at it.
        """
        workers = self.config.run_workers
        barrier = threading.Barrier(workers)
        for future in [self.built.run_pool.submit(barrier.wait, timeout) for _ in range(workers)]:
            future.result()

    def run_count(self) -> int:
        """Runs recorded so far: what a refused or repeated click must leave unchanged."""
        return int(self.bot.database.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def thread_messages(self, thread_ts: str) -> list[dict[str, Any]]:
        return [c.args for c in self.slack.calls("chat.postMessage") if c.args.get("thread_ts") == thread_ts]

    def wait_answers(self, thread_ts: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait for `count` answer-or-failure messages in the thread; return every thread message."""

        def done(call: Any) -> bool:
            return call.args.get("thread_ts") == thread_ts and _is_outcome(call.args)

        self.slack.wait_for("chat.postMessage", count=count, timeout=timeout, predicate=done)
        return self.thread_messages(thread_ts)


def _is_card(args: dict[str, Any]) -> bool:
    return not args.get("thread_ts") and "*Task* from" in json.dumps(args.get("blocks") or [])


def _is_outcome(args: dict[str, Any]) -> bool:
    text = json.dumps(args.get("blocks") or [])
    return "Answer from" in text or "could not answer" in text or "was interrupted" in text


def make_settings(
    slack: FakeSlack, anthropic: FakeAnthropic | None, openai: FakeOpenAI | None, db: str, **env: str
) -> Config:
    values = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "ROUTEBOT_DB": db,
        "ROUTEBOT_PROVIDER_MAX_RETRIES": "0",
        "ROUTEBOT_PROVIDER_TIMEOUT": "5",
        "ROUTEBOT_LISTENER_WORKERS": "8",
        "ROUTEBOT_RUN_WORKERS": "8",
        "ROUTEBOT_SLACK_POST_INTERVAL": "0.001",  # tests that pace like Slack set their own
        # These tests read answers as posted messages, the path every answer takes when Slack refuses a
        # stream; streamed answers are tested with ROUTEBOT_STREAM_ANSWERS=on (tests/bot/test_threads_*.py).
        "ROUTEBOT_STREAM_ANSWERS": "off",
    }
    if anthropic is not None:
        values.update(ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=anthropic.url.rstrip("/"))
    if openai is not None:
        values.update(OPENAI_API_KEY="sk-openai-test", OPENAI_BASE_URL=openai.url + "v1")
    values.update(env)
    return load_config(values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeAnthropic, FakeOpenAI]]:
    with FakeSlack() as slack, FakeAnthropic() as anthropic, FakeOpenAI() as openai:
        yield slack, anthropic, openai


@pytest.fixture
def make_harness(fakes: tuple[FakeSlack, FakeAnthropic, FakeOpenAI], tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    slack, anthropic, openai = fakes
    made: list[Harness] = []

    def make(
        *,
        providers: tuple[str, ...] = ("anthropic", "openai"),
        db_name: str = "routebot.db",
        socket_mode: bool = False,
        **env: str,
    ) -> Harness:
        db = str(tmp_path / db_name)
        config = make_settings(
            slack,
            anthropic if "anthropic" in providers else None,
            openai if "openai" in providers else None,
            db,
            **env,
        )
        built = build_app(
            config,
            client=slack_client(config),
            database=Database(db),
            clock=clock,
            socket_mode=socket_mode,
        )
        harness = Harness(slack, anthropic, openai, config, built, clock, db)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.built.close()


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness()
