"""Streaming is a presentation, delivery the guarantee: refused and expired streams, failures mid-stream."""

from __future__ import annotations

import json
import threading

import pytest

from bot.mrkdwn import unescape
from tests.bot.threads import buttons_of, card_in, mention, run_card, runs, stopped, text_of
from tests.conftest import Harness

WORDS = " ".join(f"word{n}" for n in range(40))


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(ROUTEBOT_STREAM_ANSWERS="on", ROUTEBOT_PROVIDER_TIMEOUT="30")


def _card(harness: Harness) -> tuple[str, dict]:
    root = harness.slack.add_message("C1", "the discussion", user="U2")
    mention(harness, "summarize this thread", thread_ts=root)
    return root, card_in(harness, root)


def _settled(harness: Harness) -> None:
    harness.runs_settled(timeout=30)


def _answer_posts(harness: Harness, thread: str) -> list[dict]:
    return [
        c.args
        for c in harness.slack.calls("chat.postMessage")
        if c.args.get("thread_ts") == thread and "Answer from" in text_of(c.args)
    ]


def test_a_stream_that_expires_is_completed_by_update_with_the_whole_answer(harness: Harness) -> None:
    root, card = _card(harness)
    gate = threading.Event()
    harness.anthropic.gate, harness.anthropic.gate_after = gate, 3
    harness.anthropic.reply(WORDS)
    run_card(harness, card)
    (start,) = harness.slack.wait_for("chat.startStream")
    harness.slack.expire_streams()  # Slack ends streams after about 5 minutes
    gate.set()
    (completed,) = harness.slack.wait_for("chat.update", predicate=lambda c: "Answer from" in text_of(c.args))
    _settled(harness)
    stream_ts = completed.args["ts"]
    message = harness.slack.message(stream_ts)
    assert message["stream_state"] == "expired" and message["thread_ts"] == root
    shown = unescape(" ".join(b["text"]["text"] for b in message["blocks"] if b["type"] == "section"))
    assert WORDS in shown  # the whole answer, not the part that streamed
    assert "feedback_buttons" in json.dumps(message["blocks"])
    errors = [c.error for c in harness.slack.calls() if c.error]
    assert "message_not_in_streaming_state" in errors
    assert runs(harness)[0].status == "succeeded" and runs(harness)[0].delivery == "delivered"
    assert start.args["thread_ts"] == root


def test_a_stream_that_expires_after_some_appends_loses_nothing(harness: Harness) -> None:
    harness.slack.stream_appends_before_expiry = 1
    _root, card = _card(harness)
    harness.anthropic.token_delay = 0.02
    harness.anthropic.reply(WORDS)
    run_card(harness, card)
    harness.slack.wait_for("chat.update", predicate=lambda c: "Answer from" in text_of(c.args))
    _settled(harness)
    update = [c for c in harness.slack.calls("chat.update") if "Answer from" in text_of(c.args)][-1]
    assert WORDS in unescape(text_of(update.args))


def test_where_slack_refuses_the_stream_the_answer_is_posted_as_messages(harness: Harness) -> None:
    harness.slack.fail("chat.startStream", "not_allowed_token_type")
    root, card = _card(harness)
    harness.anthropic.reply("the answer, delivered anyway")
    run_card(harness, card)
    harness.wait_answers(root)
    _settled(harness)
    (answer,) = _answer_posts(harness, root)
    assert "the answer, delivered anyway" in text_of(answer) and "feedback_buttons" in text_of(answer)
    assert not harness.slack.calls("chat.stopStream")
    assert runs(harness)[0].delivery == "delivered"


def test_a_long_answer_after_an_expiry_is_completed_in_parts(harness: Harness) -> None:
    long_answer = "\n\n".join(f"Paragraph {n}: " + "x" * 900 for n in range(20))  # ~18,000 characters
    _root, card = _card(harness)
    gate = threading.Event()
    harness.anthropic.gate, harness.anthropic.gate_after = gate, 2
    harness.anthropic.reply(long_answer)
    run_card(harness, card)
    harness.slack.wait_for("chat.startStream")
    harness.slack.expire_streams()
    gate.set()
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "part 2 of 2" in text_of(c.args))
    _settled(harness)
    update = [c for c in harness.slack.calls("chat.update") if "Answer from" in text_of(c.args)][-1]
    rest = [c.args for c in harness.slack.calls("chat.postMessage") if "part 2 of 2" in text_of(c.args)]
    shown = unescape(text_of(update.args) + text_of(rest[0]))
    assert all(f"Paragraph {n}: " in shown for n in range(20))


def test_a_failure_mid_stream_says_so_keeps_what_arrived_and_offers_retry(harness: Harness) -> None:
    _root, card = _card(harness)
    harness.anthropic.fail_after = 5
    harness.anthropic.reply(WORDS)
    run_card(harness, card)
    (message,) = stopped(harness)
    assert message["text"].startswith("word0 word1 word2 word3 word4")
    footer = json.dumps(message["blocks"])
    assert "stopped in the middle of the answer" in footer and "what arrived is kept" in footer
    (run,) = runs(harness)
    assert run.status == "failed" and run.answer.startswith("word0 word1") and run.cost_nanousd is None
    retry = next(b for b in buttons_of(message) if b["action_id"] == "retry")
    harness.anthropic.fail_after = None
    harness.anthropic.reply("complete answer")
    harness.press(retry, message_ts=message["ts"], thread_ts=message["thread_ts"])
    second = stopped(harness, count=2)[1]
    assert second["text"] == "complete answer"
    assert [r.status for r in runs(harness)] == ["failed", "succeeded"]


def test_openai_streams_with_exact_usage_from_the_completed_event(harness: Harness) -> None:
    _root, card = _card(harness)
    harness.openai.reply(
        "openai answer",
        {"input_tokens": 900, "output_tokens": 40, "cached_tokens": 300, "reasoning_tokens": 12},
    )
    run_card(harness, card, provider_index=1)
    (message,) = stopped(harness)
    assert message["text"] == "openai answer"
    (run,) = runs(harness)
    assert (run.input_tokens, run.output_tokens, run.cache_read_tokens, run.reasoning_tokens) == (
        900,
        40,
        300,
        12,
    )
    sent = harness.openai.requests[0].body
    assert sent["stream"] is True and sent["input"][0]["role"] == "user"


def test_each_answer_costs_at_most_one_slack_call_per_quarter_second(harness: Harness) -> None:
    _root, card = _card(harness)
    harness.anthropic.token_delay = 0.005
    harness.anthropic.reply(" ".join(f"w{n}" for n in range(200)))
    run_card(harness, card)
    (message,) = stopped(harness)
    assert message["text"].split() == [f"w{n}" for n in range(200)]
    calls = harness.slack.calls("chat.startStream") + harness.slack.calls("chat.appendStream")
    # Paced at one call per 250 ms, ~1 s of tokens takes a handful of calls, not one per token (200).
    assert 1 <= len(calls) < 50


@pytest.mark.parametrize("provider_index", [0, 1])
def test_a_streamed_refusal_is_shown_as_a_refusal_and_costed(harness: Harness, provider_index: int) -> None:
    root, card = _card(harness)
    for fake in (harness.anthropic, harness.openai):
        fake.refuse = True
        fake.reply("I can't help with that request.", {"output_tokens": 9})
    run_card(harness, card, provider_index=provider_index)

    def is_refusal(call) -> bool:  # type: ignore[no-untyped-def]
        return "declined this task" in text_of(call.args)

    # Anthropic streams the explanation as text, finished with the refusal under it; OpenAI sends a refusal
    # part, which never streams, so the refusal is posted as its message.
    method = "chat.stopStream" if provider_index == 0 else "chat.postMessage"
    (shown,) = harness.slack.wait_for(method, predicate=is_refusal, timeout=30)
    _settled(harness)
    if provider_index == 0:
        message = harness.slack.message(shown.args["ts"])
        assert message["text"] == "I can't help with that request." and message["thread_ts"] == root
    else:
        assert "I can't help with that request." in unescape(text_of(shown.args))
        assert shown.args["thread_ts"] == root and not harness.slack.calls("chat.stopStream")
    assert '"action_id": "retry"' in json.dumps(shown.args["blocks"])
    (run,) = runs(harness)
    assert (
        run.status == "succeeded" and run.refused and run.output_tokens == 9 and run.cost_nanousd is not None
    )
