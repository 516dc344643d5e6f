"""No answer is lost: Slack's refusals of the answer, a crash before the post, bursts in one channel.

Every test drives the real Bolt app with signed requests; the fake Slack answers the answer's
chat.postMessage with the error under test.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.startup import on_startup
from commands.providers import TokenCounts
from storage.runs import LEASE_SECONDS, NewRun
from tests.bot.mrkdwn import message_text
from tests.conftest import Harness

TASK = "Tag each of these 300 support tickets as billing, bug or other"
ANSWER = "Billing: 120, bug: 150, other: 30 <!channel> & done"


def _is_answer(args: dict[str, Any]) -> bool:
    return "Answer from" in json.dumps(args.get("blocks") or [])


def _run(harness: Harness) -> dict[str, Any]:
    card = harness.route(TASK)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    return card


def _settled(harness: Harness, count: int = 1, timeout: float = 20.0) -> list[Any]:
    """Wait until `count` runs have their delivery recorded and the progress message had its update."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(harness.bot.database.table("runs").rows_where(order_by="id", select="id, delivery"))
        if len(rows) >= count and all(r["delivery"] not in (None, "pending") for r in rows):
            harness.built.run_pool.shutdown(wait=True)  # the progress update follows the delivery record
            return [harness.bot.store.run(row["id"]) for row in rows]
        time.sleep(0.01)
    raise AssertionError(f"runs not delivered within {timeout}s: {rows}")


def _posted(harness: Harness, thread_ts: str) -> list[dict[str, Any]]:
    """Messages Slack accepted in the thread (the fake records refused calls too)."""
    return [
        c.args
        for c in harness.slack.calls("chat.postMessage")
        if c.error is None and c.args.get("thread_ts") == thread_ts
    ]


def test_a_rate_limited_answer_waits_for_retry_after_and_arrives_once(harness: Harness) -> None:
    harness.anthropic.reply(ANSWER)
    harness.slack.fail("chat.postMessage", status=429, retry_after=1, times=1, when=_is_answer)
    card = _run(harness)
    (run,) = _settled(harness)
    assert (run.delivery, run.delivery_error) == ("delivered", None)
    tries = [c for c in harness.slack.calls("chat.postMessage") if _is_answer(c.args)]
    assert [c.error for c in tries] == ["ratelimited", None]  # refused once, then accepted
    assert len([m for m in _posted(harness, card["ts"]) if _is_answer(m)]) == 1
    assert ":white_check_mark:" in message_text(harness.slack.calls("chat.update")[0].args)


def test_msg_too_long_falls_back_to_plain_text_parts_in_the_thread(harness: Harness) -> None:
    harness.anthropic.reply(ANSWER)
    harness.slack.fail("chat.postMessage", "msg_too_long", when=_is_answer)
    card = _run(harness)
    (run,) = _settled(harness)
    assert (run.delivery, run.delivery_error) == ("delivered", "msg_too_long")
    plain = [m for m in _posted(harness, card["ts"]) if not m.get("blocks")]
    assert "Here it is as plain text" in plain[0]["text"]
    body = "".join(m["text"] for m in plain[1:])
    assert "Billing: 120" in body and "&lt;!channel&gt; &amp; done" in body  # escaped: pings nobody
    (update,) = harness.slack.calls("chat.update")
    assert ":white_check_mark:" in message_text(update.args)


def test_when_plain_parts_fail_too_the_answer_is_a_file_in_the_thread(harness: Harness) -> None:
    harness.anthropic.reply(ANSWER)
    harness.slack.fail("chat.postMessage", "invalid_blocks", when=_is_answer)
    harness.slack.fail("chat.postMessage", "msg_too_long", when=lambda a: not a.get("blocks"))
    card = _run(harness)
    (run,) = _settled(harness)
    assert (run.delivery, run.delivery_error) == ("delivered", "invalid_blocks")
    (complete,) = harness.slack.calls("files.completeUploadExternal")
    assert (complete.args["channel_id"], complete.args["thread_ts"]) == ("C1", card["ts"])
    (content,) = harness.slack.uploads.values()
    assert ANSWER in content.decode()  # the file is raw text: nothing to escape
    assert ":white_check_mark:" in message_text(harness.slack.calls("chat.update")[0].args)


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_a_channel_the_bot_cannot_post_in_gets_the_answer_to_the_requester_privately(
    harness: Harness, error: str
) -> None:
    harness.anthropic.reply(ANSWER)
    card = harness.route(TASK)
    harness.slack.fail("chat.postMessage", error, channel="C1")  # e.g. removed from the channel
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    (run,) = _settled(harness)
    assert (run.delivery, run.delivery_error) == ("delivered_privately", error)
    (opened,) = harness.slack.calls("conversations.open")
    assert opened.args["users"] == "U1"
    private = [c.args for c in harness.slack.calls("chat.postMessage") if c.args["channel"] == "DU1"]
    assert error in private[0]["text"] and "privately" in private[0]["text"]
    assert "Billing: 120" in message_text(private[1])
    assert not harness.slack.calls("chat.update")  # the progress message could not be posted either


def test_an_answer_slack_keeps_refusing_is_reported_then_posted_at_the_next_start(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    first.anthropic.reply(ANSWER)
    first.slack.fail("chat.postMessage", "fatal_error", when=_is_answer)
    card = _run(first)
    (run,) = _settled(first)
    assert (run.status, run.delivery, run.delivery_error) == ("succeeded", "failed", "fatal_error")
    update = message_text(first.slack.calls("chat.update")[0].args)
    assert ":white_check_mark:" not in update and "could not be posted" in update and "fatal_error" in update
    first.built.close()
    first.slack.clear_failures()
    first.clock.advance(LEASE_SECONDS + 1)
    restarted = make_harness()  # same database file
    assert on_startup(restarted.built).delivered == 1
    answers = [m for m in _posted(restarted, card["ts"]) if _is_answer(m)]
    assert len(answers) == 1 and "Billing: 120" in message_text(answers[0])
    again = restarted.bot.store.run(run.id)
    assert (again.delivery, again.delivery_attempts) == ("delivered", 2)
    assert len(restarted.anthropic.requests) == 1  # the model was not asked again: nothing charged twice


def _answered_but_not_posted(harness: Harness) -> tuple[dict[str, Any], int]:
    """The SIGKILL case: the process recorded the answer and died before posting it."""
    card = harness.route(TASK)
    store = harness.bot.store
    request = store.request(1)
    run = store.claim_run(
        NewRun(request.id, "C1", "U1", "anthropic", "claude-haiku-4-5", None, "cheap", 0), harness.clock()
    )
    store.start_run(run.id, harness.clock())
    store.finish_run(
        run.id, now=harness.clock(), answer=ANSWER, tokens=TokenCounts(1000, 500), cost_nanousd=3_500_000
    )
    return card, run.id


def test_an_answer_recorded_before_a_crash_is_posted_once_by_the_next_process(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    card, run_id = _answered_but_not_posted(first)
    first.built.close()  # SIGKILL: nothing posted, the lease is never renewed again
    first.clock.advance(LEASE_SECONDS + 1)
    second = make_harness()
    assert on_startup(second.built).delivered == 1
    third = make_harness()
    assert on_startup(third.built).delivered == 0
    answers = [m for m in _posted(second, card["ts"]) if _is_answer(m)]
    assert len(answers) == 1 and "Billing: 120" in message_text(answers[0])
    run = second.bot.store.run(run_id)
    assert (run.delivery, run.delivery_attempts, run.cost_nanousd) == ("delivered", 1, 3_500_000)


def test_a_server_started_beside_a_live_one_leaves_its_unposted_answer_to_it(make_harness) -> None:  # type: ignore[no-untyped-def]
    live = make_harness()
    card, run_id = _answered_but_not_posted(live)  # live is about to post it
    beside = make_harness()
    assert on_startup(beside.built).delivered == 0
    assert not [m for m in _posted(beside, card["ts"]) if _is_answer(m)]
    live.bot.dispatcher.post_outcome(live.bot.store.run(run_id))
    assert len([m for m in _posted(live, card["ts"]) if _is_answer(m)]) == 1


def test_a_burst_of_ten_runs_in_one_channel_all_arrive_once(make_harness) -> None:  # type: ignore[no-untyped-def]
    # Slack's limit, scaled down to keep the test short: one message per channel per 0.1 s, and the bot
    # spaces its messages 0.12 s apart; a 429 that slips through is waited out by the retry handler.
    harness = make_harness(ROUTEBOT_SLACK_POST_INTERVAL="0.12")
    cards = [harness.route(f"{TASK} #{n}") for n in range(10)]
    harness.slack.rate_limit("chat.postMessage", interval=0.1)
    for card in cards:
        harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    runs = _settled(harness, count=10)
    assert [r.delivery for r in runs] == ["delivered"] * 10
    for card in cards:
        assert len([m for m in _posted(harness, card["ts"]) if _is_answer(m)]) == 1


def test_a_privately_delivered_answer_leaves_out_escalate_and_says_why(harness: Harness) -> None:
    harness.anthropic.reply(ANSWER)
    card = harness.route(TASK)
    harness.slack.fail("chat.postMessage", "not_in_channel", channel="C1")
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    (run,) = _settled(harness)
    assert run.delivery == "delivered_privately"
    private = [c.args for c in harness.slack.calls("chat.postMessage") if c.args["channel"] == "DU1"]
    assert "Billing: 120" in message_text(private[1])
    # A click acts only on the card or in its thread, so a button here could only be refused.
    assert not [b for m in private if m.get("blocks") for b in harness.buttons(m)]
    assert "Escalate and Retry buttons are left out here" in private[-1]["text"]


def test_a_privately_delivered_failure_leaves_out_retry_and_says_why(harness: Harness) -> None:
    harness.anthropic.fail(400)
    card = harness.route(TASK)
    harness.slack.fail("chat.postMessage", "channel_not_found", channel="C1")
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    (run,) = _settled(harness)
    assert (run.status, run.delivery) == ("failed", "delivered_privately")
    private = [c.args for c in harness.slack.calls("chat.postMessage") if c.args["channel"] == "DU1"]
    assert "could not answer" in message_text(private[1])
    assert not [b for m in private if m.get("blocks") for b in harness.buttons(m)]
    assert "Escalate and Retry buttons are left out here" in private[-1]["text"]


def test_every_button_the_delivery_posts_is_sealed(harness: Harness) -> None:
    harness.anthropic.reply(ANSWER)
    harness.slack.fail("chat.postMessage", status=429, retry_after=1, times=1, when=_is_answer)
    card = _run(harness)
    _settled(harness)
    posted = [m for m in _posted(harness, card["ts"]) if m.get("blocks")]
    buttons = [b for m in posted for b in harness.buttons(m)]
    assert {b["action_id"] for b in buttons} >= {"escalate_anthropic"}
    assert all(harness.bot.seal.open(b) is not None for b in buttons)
