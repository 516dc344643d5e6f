"""/route end to end: signed requests into the real Bolt app, the card checked as Slack received it."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import Harness


def _text(args: dict) -> str:
    return json.dumps(args.get("blocks") or []) + str(args.get("text", ""))


def _ack_text(response) -> str:  # type: ignore[no-untyped-def]
    """Bolt answers a text-only ack as plain text (Slack shows it only to the caller), else as JSON."""
    try:
        return json.dumps(json.loads(response.body))
    except json.JSONDecodeError:
        return response.body


def test_route_posts_a_card_with_lane_model_and_run_buttons(harness: Harness) -> None:
    card = harness.route("Tag each of these 400 support tickets as billing, bug or other")
    text = _text(card)
    assert card["channel"] == "C1"
    assert "Cheap" in text and "claude-haiku-4-5" in text and "gpt-5.4 (low)" in text
    labels = [b["label"] for b in harness.buttons(card)]
    assert labels == ["Run on claude-haiku-4-5", "Run on gpt-5.4 (low)"]


def test_route_ack_is_empty_and_fast_path_returns_200(harness: Harness) -> None:
    response = harness.command("/route", "Refactor utils.py to drop the duplicated parsing")
    assert response.status == 200
    assert response.body == ""


def test_help_and_empty_text_answer_privately_with_usage(harness: Harness) -> None:
    for text in ("", "help", "   "):
        response = harness.command("/route", text)
        assert response.status == 200
        body = json.loads(response.body)
        assert "`/route <task>`" in json.dumps(body)
        assert body.get("response_type", "ephemeral") == "ephemeral"
    assert harness.slack.calls("chat.postMessage") == []


def test_unknown_option_gets_a_clear_private_answer(harness: Harness) -> None:
    response = harness.command("/route", "--fast summarize this")
    assert "Unknown option `--fast`" in _ack_text(response)
    response = harness.command("/route", "--lane turbo summarize this")
    assert "Unknown lane `turbo`" in _ack_text(response)
    assert harness.slack.calls("chat.postMessage") == []


def test_explicit_lane_and_provider_win(harness: Harness) -> None:
    card = harness.route("--lane premium --provider openai rewrite this paragraph")
    text = _text(card)
    assert "Premium" in text and "gpt-5.4 (high)" in text and "you chose the lane" in text
    assert harness.buttons(card)[0]["label"] == "Run on gpt-5.4 (high)"


def test_task_over_the_limit_is_refused_with_the_limit(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_MAX_TASK_CHARS="500")
    response = harness.command("/route", "summarize " + "word " * 200)
    text = _ack_text(response)
    assert "up to 500" in text and "1,009 characters" in text
    assert harness.slack.calls("chat.postMessage") == []


def test_user_text_cannot_ping_anyone(harness: Harness) -> None:
    card = harness.route("summarize <!channel> <!here> <@U999> & <https://x.test|link> notes")
    text = json.dumps(card["blocks"])
    for raw in ("<!channel>", "<!here>", "<@U999>", "<https://"):
        assert raw not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text


def test_long_task_is_quoted_shortened(harness: Harness) -> None:
    card = harness.route("Summarize this: " + "lorem ipsum " * 800)
    quoted = card["blocks"][0]["text"]["text"]
    assert len(quoted) < 600 and "…" in quoted


def test_other_languages_code_and_emoji_route_without_error(harness: Harness) -> None:
    for task in (
        "Fasse diesen Thread zusammen 🙂",
        "```python\nprint('x')\n```",
        "🚀🔥" * 50,
        "请总结这份报告",
    ):
        card = harness.route(task)
        assert harness.buttons(card)


def test_redelivered_command_posts_one_card(harness: Harness) -> None:
    harness.command("/route", "Summarize this thread", trigger_id="trig-1")
    harness.command(
        "/route",
        "Summarize this thread",
        trigger_id="trig-1",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    harness.built.listener_pool.shutdown(wait=True)  # both deliveries' listeners have finished
    harness.built.card_queue.drain()  # and so has the work each queued after its ack
    assert len(harness.slack.calls("chat.postMessage")) == 1


def test_not_in_channel_tells_the_caller_privately_how_to_invite(harness: Harness) -> None:
    harness.slack.fail("chat.postMessage", error="not_in_channel")
    harness.command("/route", "Summarize this thread", channel="CPRIVATE")
    call = harness.slack.wait_for("response_url")[0]
    assert call.args["response_type"] == "ephemeral"
    assert "/invite @routebot" in call.args["text"]
    assert "Run on" not in json.dumps(call.args["blocks"])


def test_unconfigured_provider_shows_the_variable_not_a_button(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(providers=("anthropic",))
    card = harness.route("Write a runbook for rotating credentials")
    labels = [b["label"] for b in harness.buttons(card)]
    assert labels == ["Run on claude-sonnet-4-6"]
    assert "OPENAI_API_KEY" in json.dumps(card["blocks"])


def test_bad_signature_is_rejected(harness: Harness) -> None:
    from slack_bolt.request import BoltRequest

    from tests.fakes.slack_requests import sign, slash_command

    body = slash_command("/route", "x", response_url=harness.slack.response_url())
    headers = sign(body, "wrong-secret")
    assert harness.app.dispatch(BoltRequest(body=body, headers=headers)).status == 401


def test_a_rate_limited_card_is_posted_after_slacks_retry_after(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    with caplog.at_level(logging.INFO, logger="bot.slack_client"):
        harness.command("/route", "Tag each of these 400 support tickets as billing, bug or other")
        calls = harness.slack.wait_for("chat.postMessage", count=2)
        card_ts = harness.latest_card_ts()
    assert [c.error for c in calls] == ["ratelimited", None]  # refused once, then posted after the wait
    assert calls[0].args == calls[1].args and "Run on claude-haiku-4-5" in _text(calls[1].args)
    assert card_ts and harness.slack.calls("response_url") == []
    assert "retrying after 1 s" in caplog.text


def test_a_rate_limit_longer_than_the_cap_is_not_waited_for(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = make_harness(ROUTEBOT_SLACK_MAX_RETRY_WAIT="5")
    harness.slack.fail("chat.postMessage", status=429, retry_after=60, times=1)
    harness.command("/route", "Summarize this thread")
    note = harness.slack.wait_for("response_url")[0]
    assert "Slack refused the card (ratelimited)" in note.args["text"]
    assert [c.error for c in harness.slack.calls("chat.postMessage")] == ["ratelimited"]
