"""Learning's test helpers: requests the router under-routes, taught by escalations pressed in Slack."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.conftest import SECRET, Harness
from tests.fakes.slack_requests import bolt_request

# Dates out of NDAs: the router sends them to the cheap lane (confidence 0.97-0.99 for every team below, so
# a retrained model keeps them there; "summarize ... with the renewal terms" sat at the cheap/default edge
# and crossed it when batches 10 and 11 were added); this team keeps escalating them.
NDA = "Pull the renewal dates out of this NDA for the {team} team"
TEAMS = ("sales", "finance", "ops", "product", "support", "hr")
UNRELATED = "Tag each of these 300 support tickets as billing, bug or other"
EVIDENCE = (
    "Started at claude-sonnet-4-6 instead of claude-haiku-4-5: 3 of the last 3 similar requests here "
    "were escalated from claude-haiku-4-5, mostly 'missed context'"
)


def shown(args: dict[str, Any]) -> str:
    return json.dumps(args.get("blocks") or args.get("view") or args, ensure_ascii=False)


def labels(harness: Harness, card: dict[str, Any]) -> list[str]:
    return [b["label"] for b in harness.buttons(card)]


def answer_in(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return [m for m in messages if "Answer from" in shown(m)][-1]


def escalated(
    harness: Harness, task: str, *, channel: str = "C1", reason: str = "missed_context", presses: int = 1
) -> dict[str, Any]:
    """Route, run on the card's lane, and press Escalate (with a reason) `presses` times; wait for both."""
    card = harness.route(task, channel=channel)
    harness.press(harness.buttons(card)[0], channel=channel, message_ts=card["ts"])
    answer = answer_in(harness.wait_answers(card["ts"]))
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


def teach(harness: Harness, count: int = 3, channel: str = "C1") -> None:
    for team in TEAMS[:count]:
        escalated(harness, NDA.format(team=team), channel=channel)


def view_action(harness: Harness, action_id: str, view: dict[str, Any], user: str = "UADMIN") -> None:
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


def open_settings(harness: Harness, user: str = "UADMIN", channel: str = "C1") -> dict[str, Any]:
    before = len(harness.slack.calls("views.open"))
    assert harness.command("/route", "settings", user=user, channel=channel).status == 200
    return harness.slack.wait_for("views.open", count=before + 1)[before].args["view"]
