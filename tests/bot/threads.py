"""Helpers for the conversation tests: events as Slack sends them, cards and streamed answers in threads."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.response import BoltResponse

from tests.conftest import SECRET, Harness
from tests.fakes.slack import BOT_USER_ID
from tests.fakes.slack_requests import actions_from_blocks, app_mention, bolt_request, message_event

MENTION = f"<@{BOT_USER_ID}>"


def text_of(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or [], ensure_ascii=False) + str(args.get("text") or "")


def send(harness: Harness, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
    response = harness.app.dispatch(bolt_request(body, SECRET, headers))
    assert response.status == 200, response.body
    return response


def mention(
    harness: Harness,
    instruction: str,
    *,
    thread_ts: str | None,
    user: str = "U1",
    channel: str = "C1",
    event_id: str | None = None,
) -> str:
    """A person writes `@routebot <instruction>` (in `thread_ts`, or top level); Slack sends app_mention."""
    text = f"{MENTION} {instruction}"
    ts = harness.slack.add_message(channel, text, user=user, thread_ts=thread_ts)
    send(
        harness,
        app_mention(text, ts=ts, user_id=user, channel_id=channel, thread_ts=thread_ts, event_id=event_id),
    )
    return ts


def reply(
    harness: Harness, text: str, *, thread_ts: str, user: str = "U1", channel: str = "C1", **extra: Any
) -> tuple[str, str]:
    """A person replies in a thread; returns (ts, the event body) so a test can redeliver it."""
    ts = harness.slack.add_message(channel, text, user=user, thread_ts=thread_ts, **extra)
    body = message_event(text, ts=ts, user_id=user, channel_id=channel, thread_ts=thread_ts, **extra)
    send(harness, body)
    return ts, body


def card_in(harness: Harness, thread_ts: str, count: int = 1) -> dict[str, Any]:
    """The newest card routebot posted in the thread, with its ts (once the card is recorded)."""

    def is_card(call: Any) -> bool:
        return call.args.get("thread_ts") == thread_ts and "*Task* from" in text_of(call.args)

    calls = harness.slack.wait_for("chat.postMessage", count=count, predicate=is_card, timeout=20)
    harness.latest_card_ts()
    ts = harness.bot.database.conn.execute(
        "SELECT card_ts FROM requests WHERE thread_ts = ? AND card_ts IS NOT NULL ORDER BY id DESC LIMIT 1",
        (thread_ts,),
    ).fetchone()[0]
    return {**calls[-1].args, "ts": ts}


def run_card(harness: Harness, card: dict[str, Any], provider_index: int = 0, user: str = "U1") -> None:
    harness.press(harness.buttons(card)[provider_index], message_ts=card["ts"], user=user)


def stopped(harness: Harness, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Wait for `count` finished streams; return their messages as the fake Slack holds them now."""
    calls = harness.slack.wait_for("chat.stopStream", count=count, timeout=timeout)
    harness.runs_settled(timeout=30)
    return [harness.slack.message(c.args["ts"]) for c in calls]


def runs(harness: Harness) -> list[Any]:
    rows = harness.bot.database.conn.execute("SELECT id FROM runs ORDER BY id").fetchall()
    return [harness.bot.store.run(r[0]) for r in rows]


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return actions_from_blocks(message.get("blocks") or [])


def feedback_of(message: dict[str, Any]) -> dict[str, Any]:
    """The feedback_buttons element under an answer."""
    for block in message.get("blocks") or []:
        if block.get("type") == "context_actions":
            return dict(block["elements"][0])
    raise AssertionError("no feedback buttons under the answer")
