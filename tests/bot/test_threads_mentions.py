"""@routebot in a thread: the card says what context goes where, the run streams the answer into the thread.

End to end: signed events through the real Bolt app, the real SDKs streaming from the local model fakes,
slack_sdk's ChatStream against the fake Slack's chat.startStream / appendStream / stopStream.
"""

from __future__ import annotations

import json
import threading

import pytest

from tests.bot.threads import card_in, feedback_of, mention, run_card, runs, send, stopped, text_of
from tests.conftest import SECRET, Harness
from tests.fakes.slack import BOT_ID, BOT_USER_ID, TEAM_ID
from tests.fakes.slack_requests import app_mention, bolt_request, view_submission

SUMMARY = "summarize this thread in 3 bullets"


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(ROUTEBOT_STREAM_ANSWERS="on", ROUTEBOT_PROVIDER_TIMEOUT="30")


def _thread(harness: Harness) -> str:
    slack = harness.slack
    slack.display_names.update({"U1": "Ana", "U2": "Bo"})
    root = slack.add_message("C1", "Deploy plan for Friday: <!channel> please read", user="U1")
    slack.add_message(
        "C1", "I think <@U1> is right, but the &lt;db&gt; step worries me", user="U2", thread_ts=root
    )
    slack.add_message("C1", "Running on claude…", user=BOT_USER_ID, bot_id=BOT_ID, thread_ts=root)
    slack.add_message("C1", "CI passed", user="UCI", bot_id="BCI", username="ci-bot", thread_ts=root)
    slack.add_message("C1", "Ana joined", user="U3", subtype="channel_join", thread_ts=root)
    return root


def test_a_mention_in_a_thread_posts_a_card_there_that_says_what_will_be_sent(harness: Harness) -> None:
    root = _thread(harness)
    mention(harness, SUMMARY, thread_ts=root)
    card = card_in(harness, root)
    note = text_of(card)
    assert "3 messages" in note and "characters of this thread will be sent to Anthropic or OpenAI" in note
    assert "<!channel>" not in note and "<@U1>" not in note.replace("*Task* from <@U1>", "")
    request = harness.bot.store.request(1)
    assert request.source == "mention" and request.task == SUMMARY
    assert request.material_messages == 3 and request.thread_ts == root


def test_the_run_sends_the_thread_oldest_first_with_names_and_streams_the_answer(harness: Harness) -> None:
    root = _thread(harness)
    mention(harness, SUMMARY, thread_ts=root)
    card = card_in(harness, root)
    harness.anthropic.reply(
        "- Friday deploy\n- db step is risky\n- CI passed <!channel> @here", {"output_tokens": 21}
    )
    run_card(harness, card)
    (answer,) = stopped(harness)
    sent = harness.anthropic.requests[0].body
    assert sent["stream"] is True and len(sent["messages"]) == 1
    content = sent["messages"][0]["content"]
    assert content.startswith(f"Instruction:\n{SUMMARY}\n")
    assert "----- BEGIN SLACK THREAD (3 messages, oldest first) -----" in content
    lines = content.split("oldest first) -----\n")[1].split("\n----- END")[0].split("\n\n")
    assert lines == [
        "Ana: Deploy plan for Friday: @channel please read",
        "Bo: I think @Ana is right, but the <db> step worries me",
        "ci-bot (app): CI passed",
    ]
    assert "Running on" not in content and "Ana joined" not in content
    start = harness.slack.calls("chat.startStream")[0].args
    assert (
        start["thread_ts"] == root
        and start["recipient_user_id"] == "U1"
        and start["recipient_team_id"] == TEAM_ID
    )
    # The streamed text is the answer, escaped so nothing in it notifies anyone.
    assert answer["stream_state"] == "stopped"
    assert "&lt;!channel&gt;" in answer["text"] and "<!channel>" not in answer["text"]
    assert "@\u2060here" in answer["text"] and "- Friday deploy" in answer["text"]
    footer = json.dumps(answer["blocks"])
    assert "claude-haiku-4-5" in footer and "21 out tokens" in footer and "Escalate to" in footer
    assert feedback_of(answer)["type"] == "feedback_buttons"
    (run,) = runs(harness)
    assert run.status == "succeeded" and run.output_tokens == 21 and run.cost_nanousd is not None
    assert run.delivery == "delivered"  # the stream is the delivery: recorded like a posted answer
    harness.slack.wait_for(
        "chat.update", predicate=lambda c: ":white_check_mark:" in text_of(c.args), timeout=20
    )


def _run_held_after_the_first_token(harness: Harness) -> threading.Event:
    """A run whose model sends one token and then waits for the test."""
    root = _thread(harness)
    mention(harness, SUMMARY, thread_ts=root)
    gate = threading.Event()
    harness.anthropic.gate, harness.anthropic.gate_after = gate, 1
    harness.anthropic.reply("first and the rest")
    run_card(harness, card_in(harness, root))
    return gate


def test_the_thread_shows_thinking_until_the_first_token(harness: Harness) -> None:
    gate = _run_held_after_the_first_token(harness)
    harness.slack.wait_for("assistant.threads.setStatus", count=2, timeout=20)  # cleared once text streams
    gate.set()
    stopped(harness)
    calls = harness.slack.calls("assistant.threads.setStatus")
    assert [c.args["status"] for c in calls] == ["is thinking on claude-haiku-4-5…", ""]
    assert all(c.args["thread_ts"] == calls[0].args["thread_ts"] for c in calls)
    assert harness.slack.calls("chat.startStream")[0].at < calls[1].at  # "thinking" lasted until the text


def test_where_set_status_is_refused_the_progress_message_says_thinking(harness: Harness) -> None:
    harness.slack.fail("assistant.threads.setStatus", "missing_scope")
    gate = _run_held_after_the_first_token(harness)
    answering = harness.slack.wait_for(
        "chat.update", predicate=lambda c: "Answering on" in text_of(c.args), timeout=20
    )
    gate.set()
    stopped(harness)
    updates = [text_of(c.args) for c in harness.slack.calls("chat.update")]
    thinking = next(i for i, u in enumerate(updates) if "Thinking on `claude-haiku-4-5`" in u)
    assert thinking < updates.index(text_of(answering[0].args))
    harness.slack.wait_for(
        "chat.update", predicate=lambda c: ":white_check_mark:" in text_of(c.args), timeout=20
    )


def test_a_redelivered_mention_makes_one_card(harness: Harness) -> None:
    root = _thread(harness)
    ts = harness.slack.add_message("C1", f"<@{BOT_USER_ID}> {SUMMARY}", thread_ts=root)
    body = app_mention(f"<@{BOT_USER_ID}> {SUMMARY}", ts=ts, thread_ts=root, event_id="Ev1")
    send(harness, body)
    card_in(harness, root)
    send(harness, body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    harness.built.listener_pool.submit(lambda: None).result()
    harness.built.listener_pool.submit(lambda: None).result()
    cards = [c for c in harness.slack.calls("chat.postMessage") if "*Task* from" in text_of(c.args)]
    assert len(cards) == 1
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1


def test_a_top_level_mention_routes_the_instruction_alone_and_answers_in_its_thread(harness: Harness) -> None:
    ts = mention(harness, "write a haiku about Mondays", thread_ts=None)
    card = card_in(harness, ts)
    assert "Only your instruction will be sent" in text_of(card)
    harness.anthropic.reply("Monday again")
    run_card(harness, card)
    stopped(harness)
    assert harness.anthropic.requests[0].body["messages"] == [
        {"role": "user", "content": "write a haiku about Mondays"}
    ]


def test_an_empty_mention_is_answered_privately_with_how_to_use_it(harness: Harness) -> None:
    root = _thread(harness)
    mention(harness, "  ", thread_ts=root)
    (private,) = harness.slack.wait_for("chat.postEphemeral")
    assert private.args["user"] == "U1" and "Tell me what to do after the mention" in private.args["text"]
    assert not [c for c in harness.slack.calls("chat.postMessage") if "*Task* from" in text_of(c.args)]


def test_a_thread_of_1000_messages_is_read_in_pages_and_cut_to_the_stated_limit(harness: Harness) -> None:
    slack = harness.slack
    root = slack.add_message("C1", "Incident 42: the thread everyone wrote in", user="U1")
    for n in range(1, 1000):
        slack.add_message("C1", f"update {n}: still looking", user=f"U{n % 7 + 1}", thread_ts=root)
    mention(harness, "summarize this incident", thread_ts=root)
    card = card_in(harness, root)
    pages = harness.slack.calls("conversations.replies")
    assert len(pages) == 6 and all(int(p.args["limit"]) == 200 for p in pages)  # 1,001 messages
    assert "200 messages" in text_of(card)
    harness.anthropic.reply("summary")
    run_card(harness, card)
    stopped(harness)
    content = harness.anthropic.requests[0].body["messages"][0]["content"]
    assert "Incident 42" in content and "[800 earlier messages left out]" in content
    assert "update 999: still looking" in content and "update 801: still looking" in content
    assert "update 800: still looking" not in content


def _turn_thread_context_off(harness: Harness) -> None:
    """An admin unticks Thread context in `/route settings` (the modal's own submission)."""
    harness.slack.admins.add("UADMIN")
    harness.command("/route", "settings", user="UADMIN")
    (opened,) = harness.slack.wait_for("views.open", timeout=20)
    blocks = {b.get("block_id"): b for b in opened.args["view"]["blocks"]}
    assert "thread_context" in blocks  # the setting is in the window
    state = {
        "providers": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "anthropic"}, {"value": "openai"}]}
        },
        "budget": {"value": None},
        "approval_lanes": {"value": {"type": "checkboxes", "selected_options": [{"value": "max"}]}},
        "thread_context": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    body = view_submission(
        "channel_settings",
        state,
        user_id="UADMIN",
        private_metadata=opened.args["view"]["private_metadata"],  # Slack sends back what the window had
    )
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    notice = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "changed routebot" in text_of(c.args)
    )
    assert "Thread context" in text_of(notice[0].args) and "only the thread's first message" in text_of(
        notice[0].args
    )
    harness.slack.clear()


def test_with_thread_context_off_only_the_first_message_is_sent_and_the_card_says_so(
    harness: Harness,
) -> None:
    _turn_thread_context_off(harness)
    root = _thread(harness)
    mention(harness, SUMMARY, thread_ts=root)
    card = card_in(harness, root)
    assert "Thread context is off in this channel" in text_of(card)
    harness.anthropic.reply("ok")
    run_card(harness, card)
    stopped(harness)
    content = harness.anthropic.requests[0].body["messages"][0]["content"]
    assert "Ana: Deploy plan for Friday" in content and "Bo:" not in content and "CI passed" not in content
    assert harness.bot.channels.settings("C1").thread_context is False


def test_a_mention_where_routebot_cannot_read_answers_privately_with_the_invite_hint(
    harness: Harness,
) -> None:
    harness.slack.fail("conversations.replies", "not_in_channel")
    root = _thread(harness)
    mention(harness, SUMMARY, thread_ts=root)
    (private,) = harness.slack.wait_for("chat.postEphemeral")
    assert "/invite @routebot" in private.args["text"]
