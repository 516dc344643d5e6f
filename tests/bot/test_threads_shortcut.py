"""The "Route this" message shortcut and the feedback buttons under answers."""

from __future__ import annotations

import json

import pytest

from bot.blocks.conversations import INSTRUCTION_ACTION, INSTRUCTION_BLOCK, ROUTE_MESSAGE
from tests.bot.threads import card_in, feedback_of, run_card, send, stopped, text_of
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import block_action, bolt_request, message_shortcut, view_submission


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    return make_harness(ROUTEBOT_STREAM_ANSWERS="on", ROUTEBOT_PROVIDER_TIMEOUT="30")


def _shortcut(harness: Harness, text: str, *, thread_ts: str | None = None) -> tuple[str, dict]:
    """Someone picks "Route this" on a message; returns its ts and the modal routebot opened."""
    harness.slack.display_names["U2"] = "Bo"
    ts = harness.slack.add_message("C1", text, user="U2", thread_ts=thread_ts)
    message = {"ts": ts, "user": "U2", "text": text, **({"thread_ts": thread_ts} if thread_ts else {})}
    body = message_shortcut(ROUTE_MESSAGE, message, response_url=harness.slack.response_url("shortcut"))
    send(harness, body)
    (opened,) = harness.slack.wait_for("views.open", timeout=20)
    return ts, opened.args["view"]


def _submit(harness: Harness, view: dict, instruction: str):  # type: ignore[no-untyped-def]
    body = view_submission(
        ROUTE_MESSAGE,
        {INSTRUCTION_BLOCK: {INSTRUCTION_ACTION: instruction}},
        private_metadata=view["private_metadata"],
    )
    return harness.app.dispatch(bolt_request(body, SECRET))


def test_route_this_opens_a_modal_quoting_the_message(harness: Harness) -> None:
    _ts, view = _shortcut(harness, "Q3 numbers: revenue up 4% <!here>")
    assert view["callback_id"] == ROUTE_MESSAGE and view["title"]["text"] == "Route this"
    shown = json.dumps(view["blocks"])
    assert "What should be done with this message?" in shown
    assert "Q3 numbers: revenue up 4% @here" in shown and "<!here>" not in shown


def test_submitting_posts_the_card_in_the_messages_thread_and_runs_instruction_and_material(
    harness: Harness,
) -> None:
    ts, view = _shortcut(harness, "Q3 numbers: revenue up 4%, churn down 1%")
    response = _submit(harness, view, "turn this into two bullet points")
    assert response.status == 200 and response.body == ""
    card = card_in(harness, ts)
    assert "The message (" in text_of(card) and "will be sent to Anthropic or OpenAI" in text_of(card)
    harness.anthropic.reply("- revenue up\n- churn down")
    run_card(harness, card)
    (answer,) = stopped(harness)
    content = harness.anthropic.requests[0].body["messages"][0]["content"]
    assert content.startswith("Instruction:\nturn this into two bullet points\n")
    assert (
        "----- BEGIN SLACK MESSAGE -----\nBo: Q3 numbers: revenue up 4%, churn down 1%\n"
        "----- END SLACK MESSAGE" in content
    )
    assert answer["thread_ts"] == ts
    assert harness.bot.store.request(1).source == "shortcut"


def test_a_message_inside_a_thread_gets_its_card_in_that_thread(harness: Harness) -> None:
    root = harness.slack.add_message("C1", "the thread", user="U1")
    ts, view = _shortcut(harness, "a reply worth routing", thread_ts=root)
    _submit(harness, view, "translate to German")
    card = card_in(harness, root)
    assert card["thread_ts"] == root
    harness.anthropic.reply("eine Antwort")
    run_card(harness, card)
    stopped(harness)
    assert "Bo: a reply worth routing" in harness.anthropic.requests[0].body["messages"][0]["content"]
    assert ts != root


def test_an_empty_instruction_is_refused_in_the_modal(harness: Harness) -> None:
    _ts, view = _shortcut(harness, "anything")
    response = _submit(harness, view, "   ")
    body = json.loads(response.body)
    assert body["response_action"] == "errors" and INSTRUCTION_BLOCK in body["errors"]
    assert not harness.slack.calls("conversations.replies")


def test_where_routebot_cannot_read_the_channel_the_answer_is_private_with_the_invite_hint(
    harness: Harness,
) -> None:
    _ts, view = _shortcut(harness, "in a channel routebot is not in")
    harness.slack.fail("conversations.replies", "not_in_channel")
    _submit(harness, view, "summarize")
    (private,) = harness.slack.wait_for("response_url")
    assert private.args["response_type"] == "ephemeral" and "/invite @routebot" in private.args["text"]
    assert not harness.slack.calls("chat.postMessage")


def _vote(harness: Harness, answer: dict, which: str, *, user: str = "U1", channel: str = "C1") -> dict:
    element = feedback_of(answer)
    body = block_action(
        "feedback",
        element[which]["value"],
        user_id=user,
        channel_id=channel,
        message_ts=answer["ts"],
        thread_ts=answer.get("thread_ts"),
        response_url=harness.slack.response_url(f"vote-{user}"),
        action_type="feedback_buttons",
    )
    before = len(harness.slack.calls("response_url"))
    send(harness, body)
    return harness.slack.wait_for("response_url", count=before + 1, timeout=20)[-1].args


def test_feedback_is_one_changeable_vote_per_person_per_run_acknowledged_privately(harness: Harness) -> None:
    ts, view = _shortcut(harness, "numbers")
    _submit(harness, view, "summarize")
    harness.anthropic.reply("summary")
    run_card(harness, card_in(harness, ts))
    (answer,) = stopped(harness)
    first = _vote(harness, answer, "positive_button")
    assert first["response_type"] == "ephemeral" and "helped" in first["text"]
    changed = _vote(harness, answer, "negative_button")
    assert "Changed your vote" in changed["text"]
    _vote(harness, answer, "positive_button", user="U2")
    rows = harness.bot.database.conn.execute(
        "SELECT user_id, helpful FROM feedback ORDER BY user_id"
    ).fetchall()
    assert rows == [("U1", 0), ("U2", 1)]


def test_a_vote_from_another_channel_changes_nothing(harness: Harness) -> None:
    ts, view = _shortcut(harness, "numbers")
    _submit(harness, view, "summarize")
    harness.anthropic.reply("summary")
    run_card(harness, card_in(harness, ts))
    (answer,) = stopped(harness)
    refused = _vote(harness, answer, "positive_button", channel="C2")
    assert "not in this channel" in refused["text"]
    assert harness.bot.database.conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 0


def test_where_routebot_cannot_post_the_card_comes_privately_without_run_buttons(harness: Harness) -> None:
    _ts, view = _shortcut(harness, "in a channel routebot can read but not post in")
    harness.slack.fail("chat.postMessage", "not_in_channel")
    _submit(harness, view, "summarize")
    (private,) = harness.slack.wait_for("response_url", timeout=20)
    assert private.args["response_type"] == "ephemeral" and "/invite @routebot" in private.args["text"]
    shown = json.dumps(private.args["blocks"])
    assert "*Task* from" in shown and "run_anthropic" not in shown and "run_openai" not in shown
    request = harness.bot.store.request(1)
    assert request is not None and request.card_ts is None  # nothing to run under
