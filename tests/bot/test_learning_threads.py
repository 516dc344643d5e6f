"""Learning on the cards of @routebot mentions and "Route this", end to end through Bolt.

Their instruction is routed as /route's task is, so the same evidence moves it and says so on the card;
their escalations are evidence for every later card of the channel; follow-ups stay on the conversation's
model. Everything goes through signed Slack requests, the real SDKs against the model fakes and SQLite.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.conversations import INSTRUCTION_ACTION, INSTRUCTION_BLOCK, ROUTE_MESSAGE
from tests.bot.learning import (
    EVIDENCE,
    NDA,
    TEAMS,
    answer_in,
    labels,
    open_settings,
    shown,
    teach,
    view_action,
)
from tests.bot.threads import card_in, mention, reply, send
from tests.conftest import SECRET, Harness
from tests.fakes.slack import BOT_USER_ID
from tests.fakes.slack_requests import app_mention, bolt_request, message_shortcut, view_submission

LEARNED = "Learned from this channel's earlier requests"


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.add("UADMIN")
    return harness


def _thread(harness: Harness, channel: str = "C1") -> str:
    return harness.slack.add_message(channel, "Here is the NDA draft from legal, pages 1-4", user="U2")


def _mention_card(harness: Harness, task: str, channel: str = "C1") -> tuple[str, dict[str, Any]]:
    """@routebot <task> in a fresh thread; returns the thread and the card posted in it."""
    root = _thread(harness, channel)
    mention(harness, task, thread_ts=root, channel=channel)
    return root, card_in(harness, root)


def _shortcut_card(harness: Harness, instruction: str) -> dict[str, Any]:
    """ "Route this" on a message, the modal submitted with `instruction`; returns the card in its thread."""
    ts = _thread(harness)
    message = {"ts": ts, "user": "U2", "text": "Here is the NDA draft from legal, pages 1-4"}
    before = len(harness.slack.calls("views.open"))
    send(harness, message_shortcut(ROUTE_MESSAGE, message, response_url=harness.slack.response_url("sc")))
    view = harness.slack.wait_for("views.open", count=before + 1)[before].args["view"]
    body = view_submission(
        ROUTE_MESSAGE,
        {INSTRUCTION_BLOCK: {INSTRUCTION_ACTION: instruction}},
        private_metadata=view["private_metadata"],
    )
    assert harness.app.dispatch(bolt_request(body, SECRET)).status == 200
    return card_in(harness, ts)


def _escalated_mention(harness: Harness, task: str, follow_up: str | None = None) -> str:
    """A mention's card run on its lane (and continued by `follow_up`), its newest answer escalated for
    missing context; returns the thread."""
    root, card = _mention_card(harness, task)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=root)
    answers = 1
    harness.wait_answers(root)
    if follow_up is not None:
        reply(harness, follow_up, thread_ts=root)
        answers += 1
    answer = answer_in(harness.wait_answers(root, count=answers))
    escalate = harness.buttons(answer)[0]
    assert escalate["action_id"] == "escalate_anthropic"
    state = {
        escalate["block_id"]: {
            "escalate_reason": {"type": "static_select", "selected_option": {"value": "missed_context"}}
        }
    }
    harness.press(escalate, message_ts=answer.get("ts", "2.0"), thread_ts=root, state=state)
    harness.wait_answers(root, count=answers + 1)
    return root


def _learning_row(harness: Harness, request_id: int) -> tuple[Any, ...] | None:
    row = harness.bot.database.conn.execute(
        "SELECT base_lane, lane, moved, explanation FROM learning_requests WHERE request_id = ?",
        (request_id,),
    ).fetchone()
    return tuple(row) if row is not None else None


def _newest_request_id(harness: Harness) -> int:
    return int(harness.bot.database.conn.execute("SELECT MAX(id) FROM requests").fetchone()[0])


def test_a_mention_card_moves_after_the_channels_similar_escalations_with_the_evidence(
    harness: Harness,
) -> None:
    _root, before = _mention_card(harness, NDA.format(team="hr"))
    assert labels(harness, before)[0] == "Run on claude-haiku-4-5" and LEARNED not in shown(before)
    teach(harness)  # three /route cards escalated from Haiku for missing context
    root, card = _mention_card(harness, NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    assert EVIDENCE in shown(card) and LEARNED in shown(card)
    assert "before learning" in shown(card)  # the router's own choice stays among the alternatives
    assert "characters of this thread will be sent to" in shown(card)  # the material note is kept
    request_id = _newest_request_id(harness)
    assert _learning_row(harness, request_id) == ("cheap", "default", 1, EVIDENCE)
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=root)
    harness.wait_answers(root)
    assert harness.anthropic.requests[-1].body["model"] == "claude-sonnet-4-6"

    # The shortcut's card starts there too; another channel's mention does not.
    shortcut = _shortcut_card(harness, NDA.format(team="product"))
    assert labels(harness, shortcut)[0] == "Run on claude-sonnet-4-6" and EVIDENCE in shown(shortcut)
    _elsewhere_root, elsewhere = _mention_card(harness, NDA.format(team="support"), channel="C2")
    assert labels(harness, elsewhere)[0] == "Run on claude-haiku-4-5" and "Started at" not in shown(elsewhere)


def test_a_follow_up_stays_on_the_conversations_model_and_is_not_routed(harness: Harness) -> None:
    teach(harness)
    root, card = _mention_card(harness, NDA.format(team="support"))
    harness.press(harness.buttons(card)[0], message_ts=card["ts"], thread_ts=root)
    harness.wait_answers(root)
    # "shorter" alone would route to the cheap lane: a follow-up continues where the conversation is.
    reply(harness, "shorter, and only the renewal terms", thread_ts=root)
    harness.wait_answers(root, count=2)
    assert [r.body["model"] for r in harness.anthropic.requests[-2:]] == ["claude-sonnet-4-6"] * 2
    follow_up = _newest_request_id(harness)
    assert harness.bot.store.request(follow_up).source == "follow_up"
    assert _learning_row(harness, follow_up) is None


def test_a_mentions_escalations_are_evidence_for_a_later_route_card(harness: Harness) -> None:
    for team in TEAMS[:2]:
        _escalated_mention(harness, NDA.format(team=team))
    assert labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-haiku-4-5"
    _escalated_mention(harness, NDA.format(team=TEAMS[2]))
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    assert "3 of the last 3 similar requests here were escalated from claude-haiku-4-5" in shown(card)
    assert "mostly 'missed context'" in shown(card)
    # the mentions are counted in the settings' learned kinds like /route's requests
    assert "Cheap → Default (3 of 3 similar escalated)" in shown(open_settings(harness))


def test_escalating_a_conversation_after_a_follow_up_is_evidence_about_its_routed_lane(
    harness: Harness,
) -> None:
    # Escalate moves the conversation's newest turn, a follow-up, up a rung: the lane the instruction was
    # routed to fell short, so it counts against that lane, not as a request that was fine there.
    for team in TEAMS[:3]:
        _escalated_mention(harness, NDA.format(team=team), follow_up="and the renewal dates, please")
    escalations = harness.bot.database.conn.execute(
        "SELECT r.source FROM runs a JOIN requests r ON r.id = a.request_id"
        " WHERE a.escalated_from IS NOT NULL"
    ).fetchall()
    assert [source for (source,) in escalations] == ["follow_up"] * 3
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    assert "3 of the last 3 similar requests here were escalated from claude-haiku-4-5" in shown(card)


def test_a_redelivered_mention_is_recorded_for_learning_once(harness: Harness) -> None:
    teach(harness)
    root = _thread(harness)
    text = f"<@{BOT_USER_ID}> {NDA.format(team='support')}"
    ts = harness.slack.add_message("C1", text, thread_ts=root)
    body = app_mention(text, ts=ts, thread_ts=root, event_id="Ev9")
    send(harness, body)
    card_in(harness, root)
    send(harness, body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    harness.built.listener_pool.submit(lambda: None).result()
    rows = harness.bot.database.conn.execute(
        "SELECT COUNT(*) FROM learning_requests l JOIN requests r ON r.id = l.request_id"
        " WHERE r.source = 'mention'"
    ).fetchone()[0]
    assert rows == 1


def test_learning_off_in_settings_leaves_mention_cards_alone(harness: Harness) -> None:
    teach(harness)
    view_action(harness, "learning_off", open_settings(harness))
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "turned learning off" in shown(c.args))
    _root, card = _mention_card(harness, NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in shown(card) and LEARNED not in shown(card)
    assert _learning_row(harness, _newest_request_id(harness)) == ("cheap", "cheap", 0, None)
    shortcut = _shortcut_card(harness, NDA.format(team="product"))
    assert labels(harness, shortcut)[0] == "Run on claude-haiku-4-5" and "Started at" not in shown(shortcut)

    view_action(harness, "learning_on", open_settings(harness))
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "turned learning on" in shown(c.args))
    _root, again = _mention_card(harness, NDA.format(team="support"))
    assert labels(harness, again)[0] == "Run on claude-sonnet-4-6" and EVIDENCE in shown(again)
