"""A click acts only where it was clicked (issue 9, section 1), through signed block_actions into Bolt.

Each case presses a button the bot really posted (or a hand-made one) from the wrong place, and checks the
refusal is private and that nothing ran, was charged, or was posted in any channel.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from tests.bot.mrkdwn import message_text
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import bolt_request, click

CHEAP_TASK = "Tag each of these 300 support tickets as billing, bug or other"
PREMIUM_TASK = "Review our proposed microservices split and weigh the architecture tradeoffs"
ELSEWHERE = "belongs to a request in another channel or message"


def _private_replies(harness: Harness, words: str, count: int = 1) -> list[Any]:
    replies = harness.slack.wait_for(
        "response_url", count=count, predicate=lambda c: words in c.args.get("text", "")
    )
    assert all(c.args["response_type"] == "ephemeral" for c in replies)
    return replies


def _settled(harness: Harness) -> None:
    """Every listener has finished, so "nothing happened" is not just "nothing happened yet"."""
    harness.built.listener_pool.shutdown(wait=True)
    harness.built.run_pool.shutdown(wait=True)


def _posts_in(harness: Harness, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in harness.slack.calls("chat.postMessage") if c.args.get("channel") == channel]


def _answered(harness: Harness, task: str, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A card in `channel`, run by U1 on Anthropic, and its answer message."""
    card = harness.route(task, channel=channel)
    harness.press(harness.buttons(card)[0], channel=channel, message_ts=card["ts"])
    messages = harness.wait_answers(card["ts"])
    return card, next(
        m for m in messages if "Answer from" in message_text(m) or "could not answer" in message_text(m)
    )


def test_a_run_button_of_another_channels_request_is_refused_and_changes_nothing(harness: Harness) -> None:
    other = harness.route(CHEAP_TASK, channel="C0B")
    here = harness.route(CHEAP_TASK, channel="C0A")
    stolen = harness.buttons(other)[0]  # a real, sealed Run button of C0B's request
    harness.press(stolen, channel="C0A", message_ts=here["ts"])
    _private_replies(harness, ELSEWHERE)
    _settled(harness)
    assert harness.run_count() == 0 and not harness.anthropic.requests
    assert len(_posts_in(harness, "C0B")) == 1  # only its card: no progress, answer or approval question


def test_the_right_channel_but_another_requests_card_is_refused(harness: Harness) -> None:
    first = harness.route(CHEAP_TASK, channel="C0A")
    second = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(harness.buttons(first)[0], channel="C0A", message_ts=second["ts"])
    harness.press(harness.buttons(first)[0], channel="C0A", message_ts="9.9", thread_ts=second["ts"])
    _private_replies(harness, ELSEWHERE, count=2)
    _settled(harness)
    assert harness.run_count() == 0


@pytest.mark.parametrize("where", ["other_channel", "other_thread"])
def test_escalate_and_retry_act_only_in_their_own_thread(harness: Harness, where: str) -> None:
    harness.anthropic.fail(500, times=1)
    failed_card, failure = _answered(harness, CHEAP_TASK, "C0B")
    _card, answer = _answered(harness, CHEAP_TASK, "C0B")
    escalate = harness.buttons(answer)[0]
    retry = harness.buttons(failure)[0]
    assert (escalate["action_id"], retry["action_id"]) == ("escalate_anthropic", "retry")
    elsewhere = harness.route(CHEAP_TASK, channel="C0A" if where == "other_channel" else "C0B")
    channel = "C0A" if where == "other_channel" else "C0B"
    before = harness.run_count()
    harness.press(escalate, channel=channel, message_ts="8.1", thread_ts=elsewhere["ts"])
    harness.press(retry, channel=channel, message_ts="8.2", thread_ts=elsewhere["ts"])
    _private_replies(harness, ELSEWHERE, count=2)
    _settled(harness)
    assert harness.run_count() == before == 2
    assert len(harness.anthropic.requests) == 2
    assert harness.thread_messages(elsewhere["ts"]) == []
    assert len(harness.thread_messages(failed_card["ts"])) == 2  # progress and failure, nothing more


def test_a_crafted_max_run_from_another_channel_asks_no_approval_anywhere(harness: Harness) -> None:
    private = harness.route("--lane max " + PREMIUM_TASK, channel="GPRIVATE", user="U2")
    max_run = harness.buttons(private)[0]
    assert max_run["action_id"] == "run_anthropic"
    harness.route(CHEAP_TASK, channel="C0A")
    harness.press(max_run, channel="C0A", message_ts=private["ts"])  # the private card's ts, wrong channel
    _private_replies(harness, ELSEWHERE)
    _settled(harness)
    assert not [
        c for c in harness.slack.calls("chat.postMessage") if "approval_approve" in message_text(c.args)
    ]
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM approvals").fetchone()[0] == 0
    assert harness.run_count() == 0 and len(_posts_in(harness, "GPRIVATE")) == 1


def _approval_question(harness: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    """A max-lane Run pressed by a non-approver on a card in C0B: the card and the approval question."""
    card = harness.route("--lane max " + PREMIUM_TASK, channel="C0B")
    harness.press(harness.buttons(card)[0], channel="C0B", message_ts=card["ts"])
    question = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "approval_approve" in message_text(c.args)
    )[0].args
    return card, question


def test_approve_and_decline_act_only_in_the_requests_thread(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    _card, question = _approval_question(harness)
    approve, decline = harness.buttons(question)
    elsewhere = harness.route(CHEAP_TASK, channel="C0A")
    harness.press(approve, user="UBOSS", channel="C0A", message_ts="7.1", thread_ts=elsewhere["ts"])
    harness.press(decline, user="UBOSS", channel="C0B", message_ts="7.2", thread_ts="1234.5678")
    _private_replies(harness, ELSEWHERE, count=2)
    _settled(harness)
    status = harness.bot.database.conn.execute("SELECT status FROM approvals").fetchall()
    assert status == [("pending",)]
    assert harness.run_count() == 0 and not harness.anthropic.requests


def test_an_approval_clicked_in_its_thread_still_runs(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_ADMINS="UBOSS")
    card, question = _approval_question(harness)
    harness.press(
        harness.buttons(question)[0], user="UBOSS", channel="C0B", message_ts="7.1", thread_ts=card["ts"]
    )
    harness.wait_answers(card["ts"])
    assert harness.run_count() == 1


@pytest.mark.parametrize(
    "value",
    [
        '{"request": 1, "provider": "anthropic"}',  # guessed: no seal
        '{"request": 1, "provider": "anthropic", "sig": "00000000000000000000000000000000"}',
        '{"request": Infinity, "provider": "anthropic"}',
        '{"request": 1e30, "provider": "anthropic"}',
        "[1, 2]",
        "not json",
        "",
    ],
)
def test_a_value_the_bot_did_not_issue_is_refused(harness: Harness, value: str) -> None:
    card = harness.route(CHEAP_TASK)
    crafted = {**harness.buttons(card)[0], "value": value}
    response = harness.press(crafted, message_ts=card["ts"])
    assert response.status == 200
    _private_replies(harness, "out of date")
    _settled(harness)
    assert harness.run_count() == 0


def test_a_sealed_value_moved_to_another_action_is_refused(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK)
    anthropic, _openai = harness.buttons(card)
    harness.press({**anthropic, "action_id": "run_openai"}, message_ts=card["ts"])
    _private_replies(harness, "out of date")
    _settled(harness)
    assert harness.run_count() == 0


def test_a_payload_whose_two_channel_fields_disagree_is_refused(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK, channel="C0B")
    body = click(
        harness.buttons(card)[0],
        channel_id="C0A",
        message_ts=card["ts"],
        response_url=harness.slack.response_url("click-U1"),
    )
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["container"]["channel_id"] = "C0B"  # container says C0B, channel says C0A
    response = harness.app.dispatch(bolt_request(urlencode({"payload": json.dumps(payload)}), SECRET))
    assert response.status == 200
    _private_replies(harness, ELSEWHERE)
    _settled(harness)
    assert harness.run_count() == 0


def test_the_real_click_on_the_card_still_runs_once(harness: Harness) -> None:
    card = harness.route(CHEAP_TASK, channel="C0A")
    button = harness.buttons(card)[0]
    assert json.loads(button["value"])["sig"]  # what Slack holds is sealed
    clicks = [
        threading.Thread(
            target=harness.press, args=(button,), kwargs={"channel": "C0A", "message_ts": card["ts"]}
        )
        for _ in range(3)
    ]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    harness.wait_answers(card["ts"])
    _settled(harness)
    assert harness.run_count() == 1


def test_the_button_key_is_shared_by_every_process_on_the_database(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    card = first.route(CHEAP_TASK)
    second = make_harness()  # another process on the same file, e.g. during a rolling deploy
    second.press(first.buttons(card)[0], message_ts=card["ts"])
    second.wait_answers(card["ts"])
    assert second.run_count() == 1
