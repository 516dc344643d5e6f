"""Follow-ups in the answer's thread, escalating the conversation, and what is not a follow-up."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from commands.policy import DEFAULT_POLICY_PATH
from storage.channel_settings import ChannelSettings
from tests.bot.threads import buttons_of, card_in, mention, reply, run_card, runs, send, stopped, text_of
from tests.conftest import Harness
from tests.fakes.slack import BOT_ID, BOT_USER_ID

TASK = "pull the action items out of the discussion above"


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(ROUTEBOT_STREAM_ANSWERS="on", ROUTEBOT_PROVIDER_TIMEOUT="30")


def _answered(harness: Harness, answer: str = "1. Ana ships Friday\n2. Bo checks the db step") -> str:
    """A thread with a discussion, a mention, a card, a run and its streamed answer; returns the thread ts."""
    root = harness.slack.add_message("C1", "Ana will ship on Friday; Bo checks the db step", user="U2")
    mention(harness, TASK, thread_ts=root)
    harness.anthropic.reply(answer)
    run_card(harness, card_in(harness, root))
    stopped(harness)
    return root


def _wait_model_requests(harness: Harness, count: int) -> list:
    harness.anthropic.wait_for(count)
    return harness.anthropic.requests


def test_a_reply_continues_the_conversation_on_the_same_model_with_every_turn(harness: Harness) -> None:
    root = _answered(harness)
    harness.anthropic.reply("Ana: ship Fri. Bo: db step.")
    reply(harness, "shorter, please", thread_ts=root)
    _first, second = stopped(harness, count=2)
    sent = harness.anthropic.requests[1].body
    assert sent["model"] == "claude-haiku-4-5"
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][0]["content"].startswith(f"Instruction:\n{TASK}")
    assert sent["messages"][1]["content"] == "1. Ana ships Friday\n2. Bo checks the db step"
    assert sent["messages"][2]["content"] == "shorter, please"
    assert second["text"] == "Ana: ship Fri. Bo: db step." and second["thread_ts"] == root
    turns = runs(harness)
    assert [r.status for r in turns] == ["succeeded", "succeeded"]
    assert turns[1].cost_nanousd is not None and turns[1].request_id != turns[0].request_id
    follow_up = harness.bot.store.request(turns[1].request_id)
    assert follow_up.source == "follow_up" and follow_up.conversation_id == turns[0].request_id


def test_a_redelivered_reply_runs_once(harness: Harness) -> None:
    root = _answered(harness)
    _ts, body = reply(harness, "shorter, please", thread_ts=root)
    stopped(harness, count=2)
    send(harness, body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    harness.built.listener_pool.submit(lambda: None).result()
    harness.runs_settled(timeout=30)
    assert len(runs(harness)) == 2 and len(harness.anthropic.requests) == 2


def test_what_is_not_a_follow_up_runs_nothing(harness: Harness) -> None:
    root = _answered(harness)
    reply(harness, "I disagree with item 2", thread_ts=root, user="U2")  # another person, no mention
    edit = {"subtype": "message_changed", "message": {"text": "shorter", "user": "U1"}}
    reply(harness, "", thread_ts=root, **edit)  # an edited message
    reply(harness, "a bot says hi", thread_ts=root, user="UBOT2", bot_id="BOTHER")  # another app
    reply(harness, "my own echo", thread_ts=root, user=BOT_USER_ID, bot_id=BOT_ID)  # routebot's own
    other = harness.slack.add_message("C1", "unrelated discussion", user="U1")
    reply(harness, "shorter, please", thread_ts=other)  # a thread routebot did not start
    harness.built.listener_pool.submit(lambda: None).result()
    harness.runs_settled(timeout=30)
    assert len(runs(harness)) == 1 and len(harness.anthropic.requests) == 1
    assert not harness.slack.calls("chat.postEphemeral")


def test_another_person_continues_by_mentioning_routebot(harness: Harness) -> None:
    root = _answered(harness)
    harness.anthropic.reply("Bo owns item 2.")
    mention(harness, "who owns item 2?", thread_ts=root, user="U2")
    stopped(harness, count=2)
    sent = harness.anthropic.requests[1].body
    assert sent["messages"][-1] == {"role": "user", "content": "who owns item 2?"}
    assert runs(harness)[1].user_id == "U2"
    # No second card: the mention continued the conversation.
    assert len([c for c in harness.slack.calls("chat.postMessage") if "*Task* from" in text_of(c.args)]) == 1


def test_a_follow_up_while_the_answer_still_streams_waits_for_it(harness: Harness) -> None:
    root = harness.slack.add_message("C1", "Ana will ship on Friday", user="U2")
    mention(harness, TASK, thread_ts=root)
    gate = threading.Event()
    harness.anthropic.gate, harness.anthropic.gate_after = gate, 2
    harness.anthropic.reply("one two three four five")
    run_card(harness, card_in(harness, root))
    harness.slack.wait_for("chat.startStream")  # the first words are in the thread
    reply(harness, "and the deadline?", thread_ts=root)
    harness.slack.wait_for("chat.postMessage", count=1, predicate=lambda c: "Running on" in text_of(c.args))
    harness.built.listener_pool.submit(lambda: None).result()
    assert len(harness.anthropic.requests) == 1  # the follow-up has not gone to the model yet
    harness.anthropic.gate = None
    gate.set()
    stopped(harness, count=2)
    sent = harness.anthropic.requests[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": "one two three four five"}
    assert sent[2] == {"role": "user", "content": "and the deadline?"}


def test_escalate_moves_the_whole_conversation_to_the_next_rung(harness: Harness) -> None:
    root = _answered(harness)
    harness.anthropic.reply("short")
    reply(harness, "shorter, please", thread_ts=root)
    first, _second = stopped(harness, count=2)
    escalate = next(b for b in buttons_of(first) if b["action_id"] == "escalate_anthropic")
    harness.anthropic.reply("a careful answer")
    harness.press(escalate, message_ts=first["ts"], thread_ts=first["thread_ts"])
    stopped(harness, count=3)
    sent = harness.anthropic.requests[2].body
    assert sent["model"] == "claude-sonnet-4-6"
    assert [m["content"] for m in sent["messages"][1:]] == [
        "1. Ana ships Friday\n2. Bo checks the db step",
        "shorter, please",
    ]
    # The next follow-up continues on the escalated model.
    harness.anthropic.reply("ok")
    reply(harness, "thanks, one more time in French", thread_ts=root)
    stopped(harness, count=4)
    assert harness.anthropic.requests[3].body["model"] == "claude-sonnet-4-6"
    assert len(harness.anthropic.requests[3].body["messages"]) == 5


def test_slash_escalate_moves_the_conversation_too(harness: Harness) -> None:
    root = _answered(harness)
    harness.anthropic.reply("short")
    reply(harness, "shorter, please", thread_ts=root)
    stopped(harness, count=2)
    harness.anthropic.reply("deeper")
    harness.command("/escalate", "too shallow")
    stopped(harness, count=3)
    sent = harness.anthropic.requests[2].body
    assert sent["model"] == "claude-sonnet-4-6" and sent["messages"][-1]["content"] == "shorter, please"
    assert runs(harness)[-1].escalation_reason == "too_shallow"


def test_a_follow_up_over_the_budget_is_refused_privately(harness: Harness) -> None:
    root = _answered(harness)
    channels = harness.bot.channels
    over = ChannelSettings("C1", ("anthropic", "openai"), 1, ("max",))  # a one-nano-dollar budget
    channels.store.save(over, channels.defaults("C1"), "UADMIN", 0)
    reply(harness, "shorter, please", thread_ts=root)
    (private,) = harness.slack.wait_for("chat.postEphemeral")
    assert private.args["user"] == "U1" and "budget" in private.args["text"]
    assert len(runs(harness)) == 1


def test_a_context_window_set_in_the_policy_trims_the_conversation(make_harness, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text() + '\n[context_windows]\n"claude-haiku-4-5" = 400\n')
    harness = make_harness(
        ROUTEBOT_STREAM_ANSWERS="on",
        ROUTEBOT_PROVIDER_TIMEOUT="30",
        ROUTEBOT_POLICY=str(path),
        ROUTEBOT_MAX_OUTPUT_TOKENS="100",
    )
    long_answer = "Ana ships on Friday; Bo checks the db step. " * 21  # 924 characters: about 308 tokens
    # Haiku's window is now 400 tokens, 100 of them kept for the answer: the first exchange (the instruction
    # with the thread, and that answer) no longer fits beside the follow-up, so it is left out.
    root = _answered(harness, long_answer)
    harness.anthropic.reply("Ana: Fri. Bo: db.")
    reply(harness, "shorter, please", thread_ts=root)
    _first, second = stopped(harness, count=2)
    sent = harness.anthropic.requests[1].body
    assert sent["model"] == "claude-haiku-4-5"
    assert sent["messages"] == [{"role": "user", "content": "shorter, please"}]
    assert "The 1 oldest exchange of this conversation were left out" in json.dumps(second["blocks"])
    assert runs(harness)[1].trimmed_turns == 1

    # gpt-5.4 keeps routebot's own window (1,050,000 tokens): the same conversation is sent whole.
    other = harness.slack.add_message("C1", "Ana will ship on Friday; Bo checks the db step", user="U2")
    mention(harness, TASK, thread_ts=other)
    harness.openai.reply(long_answer)
    run_card(harness, card_in(harness, other), provider_index=1)
    stopped(harness, count=3)
    harness.openai.reply("Ana: Fri. Bo: db.")
    reply(harness, "shorter, please", thread_ts=other)
    fourth = stopped(harness, count=4)[3]
    assert [m["role"] for m in harness.openai.requests[1].body["input"]] == ["user", "assistant", "user"]
    assert "left out" not in json.dumps(fourth["blocks"]) and runs(harness)[3].trimmed_turns in (0, None)
