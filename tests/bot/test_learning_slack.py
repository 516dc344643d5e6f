"""Learning end to end through Bolt: escalations pressed in Slack move the next similar card in that channel.

Everything goes through signed Slack requests, the real SDKs against the model fakes and the real database;
the settings modal's learning buttons are pressed as Slack sends them (block_actions from a view).
"""

from __future__ import annotations

import io
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.cli import main
from storage.channel_settings import ChannelSettingsStore
from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import bolt_request

# Summaries of NDAs: the router sends them to the cheap lane; this team keeps escalating them.
NDA = "Summarize this NDA for the {team} team, with the renewal terms"
TEAMS = ("sales", "finance", "ops", "product", "support", "hr")
UNRELATED = "Tag each of these 300 support tickets as billing, bug or other"
EVIDENCE = (
    "Started at claude-sonnet-4-6 instead of claude-haiku-4-5: 3 of the last 3 similar requests here "
    "were escalated from claude-haiku-4-5, mostly 'missed context'"
)


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.add("UADMIN")
    return harness


def _text(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or args.get("view") or args, ensure_ascii=False)


def _labels(harness: Harness, card: dict[str, Any]) -> list[str]:
    return [b["label"] for b in harness.buttons(card)]


def _answer(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return [m for m in messages if "Answer from" in _text(m)][-1]


def _escalated(
    harness: Harness, task: str, *, channel: str = "C1", reason: str = "missed_context", presses: int = 1
) -> dict[str, Any]:
    """Route, run on the card's lane, and press Escalate (with a reason) `presses` times; wait for both."""
    card = harness.route(task, channel=channel)
    harness.press(harness.buttons(card)[0], channel=channel, message_ts=card["ts"])
    answer = _answer(harness.wait_answers(card["ts"]))
    escalate = harness.buttons(answer)[0]
    state = {
        escalate["block_id"]: {
            "escalate_reason": {"type": "static_select", "selected_option": {"value": reason}}
        }
    }
    for attempt in range(presses):
        retry = (
            {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"} if attempt else None
        )
        harness.press(
            escalate,
            channel=channel,
            message_ts=answer.get("ts", "2.0"),
            thread_ts=card["ts"],
            state=state,
            headers=retry,
        )
    harness.wait_answers(card["ts"], count=2)
    return card


def _teach(harness: Harness, count: int = 3, channel: str = "C1") -> None:
    for team in TEAMS[:count]:
        _escalated(harness, NDA.format(team=team), channel=channel)


def _view_action(harness: Harness, action_id: str, view: dict[str, Any], user: str = "UADMIN") -> None:
    """A button pressed inside an open modal, as Slack sends it: block_actions with the view."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "verification-token",
        "container": {"type": "view", "view_id": "V1"},
        "trigger_id": "trigger.learning",
        "team": {"id": "T1", "domain": "test"},
        "view": {**view, "id": "V1", "hash": "1700000000.hash", "state": {"values": {}}},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "learning_controls",
                "type": "button",
                "value": "{}",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    response = harness.app.dispatch(bolt_request(urlencode({"payload": json.dumps(payload)}), SECRET))
    assert response.status == 200, response.body


def _open_settings(harness: Harness, user: str = "UADMIN", channel: str = "C1") -> dict[str, Any]:
    before = len(harness.slack.calls("views.open"))
    assert harness.command("/route", "settings", user=user, channel=channel).status == 200
    return harness.slack.wait_for("views.open", count=before + 1)[before].args["view"]


def test_escalations_in_one_channel_move_its_next_similar_card_with_the_evidence(harness: Harness) -> None:
    before = harness.route(NDA.format(team="hr"))
    assert _labels(harness, before)[0] == "Run on claude-haiku-4-5"
    _teach(harness)
    card = harness.route(NDA.format(team="support"))
    assert _labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    assert EVIDENCE in _text(card)
    assert "Default" in _text(card) and "before learning" in _text(card)  # the router's own choice stays
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    assert harness.anthropic.requests[-1].body["model"] == "claude-sonnet-4-6"

    elsewhere = harness.route(NDA.format(team="support"), channel="C2")
    assert _labels(harness, elsewhere)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in _text(elsewhere)
    unrelated = harness.route(UNRELATED)
    assert _labels(harness, unrelated)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in _text(unrelated)


def test_an_explicit_lane_wins_and_is_no_evidence(harness: Harness) -> None:
    for team in TEAMS[:3]:
        _escalated(harness, "--lane cheap " + NDA.format(team=team))
    assert _labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-haiku-4-5"
    _teach(harness)
    forced = harness.route("--lane cheap " + NDA.format(team="support"))
    assert _labels(harness, forced)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in _text(forced)


def test_a_redelivered_escalation_counts_once(harness: Harness) -> None:
    _escalated(harness, NDA.format(team="sales"), presses=3)  # a double click and a Slack retry
    _escalated(harness, NDA.format(team="finance"))
    escalations = harness.bot.database.conn.execute(
        "SELECT COUNT(*) FROM runs WHERE escalated_from IS NOT NULL"
    ).fetchone()[0]
    assert escalations == 2
    assert _labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-haiku-4-5"
    _escalated(harness, NDA.format(team="ops"))
    card = harness.route(NDA.format(team="support"))
    assert _labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    # the first request's three presses are one request escalated, and its card (never run) is no evidence
    assert "3 of the last 3 similar requests here" in _text(card)


def test_learning_survives_a_restart(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    _teach(first)
    first.built.close()
    restarted = make_harness()  # same database file: a new process
    card = restarted.route(NDA.format(team="support"))
    assert _labels(restarted, card)[0] == "Run on claude-sonnet-4-6"
    assert EVIDENCE in _text(card)


def test_settings_show_what_was_learned_and_turn_it_off_and_on(harness: Harness) -> None:
    _teach(harness)
    view = _open_settings(harness)
    shown = _text(view)
    assert "Learning from escalations:* on" in shown
    assert "Cheap → Default (3 of 3 similar escalated)" in shown
    assert "Turn learning off" in shown and "Reset what was learned" in shown

    _view_action(harness, "learning_off", view)
    update = harness.slack.wait_for("views.update")[0].args
    assert "Learning from escalations:* *off*" in _text(update) and "Turn learning on" in _text(update)
    assert update["view_id"] == "V1" and update["view"]["callback_id"] == "channel_settings"
    notice = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "turned learning off" in _text(c.args)
    )[0]
    assert notice.args["channel"] == "C1"
    card = harness.route(NDA.format(team="support"))
    assert _labels(harness, card)[0] == "Run on claude-haiku-4-5" and "Started at" not in _text(card)

    _view_action(harness, "learning_on", view)
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "turned learning on" in _text(c.args))
    assert _labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-sonnet-4-6"
    changes = ChannelSettingsStore(harness.bot.database).changes("C1")
    assert [(c.user_id, c.field, c.old, c.new) for c in changes] == [
        ("UADMIN", "learning", "on", "off"),
        ("UADMIN", "learning", "off", "on"),
    ]


def test_reset_forgets_the_channels_escalations(harness: Harness) -> None:
    _teach(harness)
    _teach(harness, channel="C2")
    _view_action(harness, "learning_reset", _open_settings(harness))
    notice = harness.slack.wait_for("chat.postMessage", predicate=lambda c: "reset what" in _text(c.args))[0]
    assert "3 requests forgotten" in _text(notice.args)
    harness.clock.advance(60)
    card = harness.route(NDA.format(team="support"))
    assert _labels(harness, card)[0] == "Run on claude-haiku-4-5" and "Started at" not in _text(card)
    assert _labels(harness, harness.route(NDA.format(team="support"), channel="C2"))[0] == (
        "Run on claude-sonnet-4-6"
    )
    view = _open_settings(harness)
    assert "Nothing learned here yet" in _text(view) and "Last reset" in _text(view)
    (change,) = ChannelSettingsStore(harness.bot.database).changes("C1")
    assert (change.user_id, change.field, change.new) == ("UADMIN", "learning_reset", "3")


def test_only_admins_can_turn_learning_off_or_reset(harness: Harness) -> None:
    _teach(harness)
    view = _open_settings(harness, user="U1")
    assert "Cheap → Default (3 of 3 similar escalated)" in _text(view)
    assert "Turn learning off" not in _text(view)  # read-only for everyone else
    admin_view = _open_settings(harness)
    _view_action(harness, "learning_off", admin_view, user="U1")  # a crafted click
    _view_action(harness, "learning_reset", admin_view, user="U1")
    assert harness.bot.learning.state("C1").enabled
    assert ChannelSettingsStore(harness.bot.database).changes("C1") == []
    assert _labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-sonnet-4-6"
    assert harness.slack.calls("views.update") == []


def test_the_digest_reports_what_learning_did(harness: Harness) -> None:
    _teach(harness)
    moved = harness.route(NDA.format(team="support"))
    harness.press(harness.buttons(moved)[0], message_ts=moved["ts"])
    harness.wait_answers(moved["ts"])
    harness.slack.clear()
    harness.clock.advance(60)  # the week so far ends at now; the runs were just before
    assert harness.command("/route", "digest", channel="C1").status == 200
    (reply,) = harness.slack.wait_for("response_url")
    text = _text(reply.args)
    assert (
        "1 request started a rung higher, learned from this channel's escalations; 0 of them still escalated"
        in text
    )
    assert "escalation rate n/a → 75%" in text  # 3 of the week's 4 requests run were escalated
    learned = f"“{NDA.format(team='ops')}”: Cheap → Default (3 of 3 similar escalated)"
    assert learned in text
    harness.command("/route", "digest", channel="C2")
    quiet = harness.slack.wait_for("response_url", count=2)[1]
    assert "Learning" not in _text(quiet.args)


def test_cli_route_for_a_channel_shows_the_same_evidence(harness: Harness, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _teach(harness)
    monkeypatch.setenv("ROUTEBOT_DB", harness.db_path)
    out = io.StringIO()
    assert (
        main(
            ["route", "--channel", "C1", "--json", NDA.format(team="support")],
            stdout=out,
            clock=harness.clock,
        )
        == 0
    )
    data = json.loads(out.getvalue())
    assert (data["lane"], data["model"]) == ("default", "claude-sonnet-4-6")
    assert data["learning"]["explanation"] == EVIDENCE
    assert (data["learning"]["base_lane"], data["learning"]["moved"]) == ("cheap", True)
    assert data["reasons"][0] == EVIDENCE
    out = io.StringIO()
    assert (
        main(
            ["route", "--channel", "C2", "--json", NDA.format(team="support")],
            stdout=out,
            clock=harness.clock,
        )
        == 0
    )
    other = json.loads(out.getvalue())
    assert other["lane"] == "cheap" and other["learning"] is None
    out = io.StringIO()
    assert (
        main(["route", "--channel", "C1", NDA.format(team="support")], stdout=out, clock=harness.clock) == 0
    )
    assert f"learning in C1: {EVIDENCE}" in out.getvalue()
    assert "learning" not in json.loads(_cli_json("route", "--json", NDA.format(team="support")))


def test_cli_route_for_a_channel_without_a_database_says_so(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ROUTEBOT_DB", str(tmp_path / "missing.db"))
    assert main(["route", "--channel", "C1", "Summarize this"], stdout=io.StringIO()) == 2
    assert "no routebot database" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def _cli_json(*argv: str) -> str:
    out = io.StringIO()
    assert main(list(argv), stdout=out) == 0
    return out.getvalue()
