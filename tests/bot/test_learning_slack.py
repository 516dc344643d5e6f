"""Learning end to end through Bolt: escalations pressed in Slack move the next similar card in that channel.

Everything goes through signed Slack requests, the real SDKs against the model fakes and the real database;
the settings modal's learning buttons are pressed as Slack sends them (block_actions from a view).
"""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import main
from storage.channel_settings import ChannelSettingsStore
from tests.bot.learning import (
    EVIDENCE,
    NDA,
    TEAMS,
    UNRELATED,
    escalated,
    labels,
    open_settings,
    shown,
    teach,
    view_action,
)
from tests.conftest import Harness


@pytest.fixture
def harness(make_harness) -> Harness:  # type: ignore[no-untyped-def]
    harness = make_harness()
    harness.slack.admins.add("UADMIN")
    return harness


def test_escalations_in_one_channel_move_its_next_similar_card_with_the_evidence(harness: Harness) -> None:
    before = harness.route(NDA.format(team="hr"))
    assert labels(harness, before)[0] == "Run on claude-haiku-4-5"
    teach(harness)
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    assert EVIDENCE in shown(card)
    assert "Default" in shown(card) and "before learning" in shown(card)  # the router's own choice stays
    harness.press(harness.buttons(card)[0], message_ts=card["ts"])
    harness.wait_answers(card["ts"])
    assert harness.anthropic.requests[-1].body["model"] == "claude-sonnet-4-6"

    elsewhere = harness.route(NDA.format(team="support"), channel="C2")
    assert labels(harness, elsewhere)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in shown(elsewhere)
    unrelated = harness.route(UNRELATED)
    assert labels(harness, unrelated)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in shown(unrelated)


def test_an_explicit_lane_wins_and_is_no_evidence(harness: Harness) -> None:
    for team in TEAMS[:3]:
        escalated(harness, "--lane cheap " + NDA.format(team=team))
    assert labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-haiku-4-5"
    teach(harness)
    forced = harness.route("--lane cheap " + NDA.format(team="support"))
    assert labels(harness, forced)[0] == "Run on claude-haiku-4-5"
    assert "Started at" not in shown(forced)


def test_a_redelivered_escalation_counts_once(harness: Harness) -> None:
    escalated(harness, NDA.format(team="sales"), presses=3)  # a double click and a Slack retry
    escalated(harness, NDA.format(team="finance"))
    escalations = harness.bot.database.conn.execute(
        "SELECT COUNT(*) FROM runs WHERE escalated_from IS NOT NULL"
    ).fetchone()[0]
    assert escalations == 2
    assert labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-haiku-4-5"
    escalated(harness, NDA.format(team="ops"))
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-sonnet-4-6"
    # the first request's three presses are one request escalated, and its card (never run) is no evidence
    assert "3 of the last 3 similar requests here" in shown(card)


def test_learning_survives_a_restart(make_harness) -> None:  # type: ignore[no-untyped-def]
    first = make_harness()
    teach(first)
    first.built.close()
    restarted = make_harness()  # same database file: a new process
    card = restarted.route(NDA.format(team="support"))
    assert labels(restarted, card)[0] == "Run on claude-sonnet-4-6"
    assert EVIDENCE in shown(card)


def test_settings_show_what_was_learned_and_turn_it_off_and_on(harness: Harness) -> None:
    teach(harness)
    view = open_settings(harness)
    text = shown(view)
    assert "Learning from escalations:* on" in text
    assert "Cheap → Default (3 of 3 similar escalated)" in text
    assert "Turn learning off" in text and "Reset what was learned" in text

    view_action(harness, "learning_off", view)
    update = harness.slack.wait_for("views.update")[0].args
    assert "Learning from escalations:* *off*" in shown(update) and "Turn learning on" in shown(update)
    assert update["view_id"] == "V1" and update["view"]["callback_id"] == "channel_settings"
    notice = harness.slack.wait_for(
        "chat.postMessage", predicate=lambda c: "turned learning off" in shown(c.args)
    )[0]
    assert notice.args["channel"] == "C1"
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-haiku-4-5" and "Started at" not in shown(card)

    view_action(harness, "learning_on", view)
    harness.slack.wait_for("chat.postMessage", predicate=lambda c: "turned learning on" in shown(c.args))
    assert labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-sonnet-4-6"
    changes = ChannelSettingsStore(harness.bot.database).changes("C1")
    assert [(c.user_id, c.field, c.old, c.new) for c in changes] == [
        ("UADMIN", "learning", "on", "off"),
        ("UADMIN", "learning", "off", "on"),
    ]


def test_reset_forgets_the_channels_escalations(harness: Harness) -> None:
    teach(harness)
    teach(harness, channel="C2")
    view_action(harness, "learning_reset", open_settings(harness))
    notice = harness.slack.wait_for("chat.postMessage", predicate=lambda c: "reset what" in shown(c.args))[0]
    assert "3 requests forgotten" in shown(notice.args)
    harness.clock.advance(60)
    card = harness.route(NDA.format(team="support"))
    assert labels(harness, card)[0] == "Run on claude-haiku-4-5" and "Started at" not in shown(card)
    assert labels(harness, harness.route(NDA.format(team="support"), channel="C2"))[0] == (
        "Run on claude-sonnet-4-6"
    )
    view = open_settings(harness)
    assert "Nothing learned here yet" in shown(view) and "Last reset" in shown(view)
    (change,) = ChannelSettingsStore(harness.bot.database).changes("C1")
    assert (change.user_id, change.field, change.new) == ("UADMIN", "learning_reset", "3")


def test_only_admins_can_turn_learning_off_or_reset(harness: Harness) -> None:
    teach(harness)
    view = open_settings(harness, user="U1")
    assert "Cheap → Default (3 of 3 similar escalated)" in shown(view)
    assert "Turn learning off" not in shown(view)  # read-only for everyone else
    admin_view = open_settings(harness)
    view_action(harness, "learning_off", admin_view, user="U1")  # a crafted click
    view_action(harness, "learning_reset", admin_view, user="U1")
    assert harness.bot.learning.state("C1").enabled
    assert ChannelSettingsStore(harness.bot.database).changes("C1") == []
    assert labels(harness, harness.route(NDA.format(team="support")))[0] == "Run on claude-sonnet-4-6"
    assert harness.slack.calls("views.update") == []


def test_the_digest_reports_what_learning_did(harness: Harness) -> None:
    teach(harness)
    moved = harness.route(NDA.format(team="support"))
    harness.press(harness.buttons(moved)[0], message_ts=moved["ts"])
    harness.wait_answers(moved["ts"])
    harness.slack.clear()
    harness.clock.advance(60)  # the week so far ends at now; the runs were just before
    assert harness.command("/route", "digest", channel="C1").status == 200
    (reply,) = harness.slack.wait_for("response_url")
    text = shown(reply.args)
    assert (
        "1 request started a rung higher, learned from this channel's escalations; 0 of them still escalated"
        in text
    )
    assert "escalation rate n/a → 75%" in text  # 3 of the week's 4 requests run were escalated
    learned = f"“{NDA.format(team='ops')}”: Cheap → Default (3 of 3 similar escalated)"
    assert learned in text
    harness.command("/route", "digest", channel="C2")
    quiet = harness.slack.wait_for("response_url", count=2)[1]
    assert "Learning" not in shown(quiet.args)


def test_cli_route_for_a_channel_shows_the_same_evidence(harness: Harness, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    teach(harness)
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
