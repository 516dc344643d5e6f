"""Run, Escalate and Retry buttons, the escalation reason menu, and `/escalate`."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.context import Routebot
from bot.listeners.approvals import ask_for_approval
from commands.errors import ApprovalRequired, UserError
from commands.runs import RunPlan

log = logging.getLogger(__name__)


def register(app: App, bot: Routebot) -> None:
    @app.action(re.compile(r"^run_(anthropic|openai)$"))
    def on_run(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = _value(action)
        _start(
            bot,
            respond,
            body["user"]["id"],
            lambda: bot.runs.plan_first_run(int(value["request"]), str(value["provider"])),
        )

    @app.action(re.compile(r"^escalate_(anthropic|openai)$"))
    def on_escalate(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = _value(action)
        reason = _selected_reason(body, action.get("block_id", ""))
        _start(
            bot,
            respond,
            body["user"]["id"],
            lambda: bot.runs.plan_escalation(int(value["run"]), str(value["provider"]), reason),
        )

    @app.action("retry")
    def on_retry(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = _value(action)
        _start(bot, respond, body["user"]["id"], lambda: bot.runs.plan_retry(int(value["run"])))

    @app.action("escalate_reason")
    def on_reason(ack: Ack) -> None:
        ack()  # the choice is read from the message state when an Escalate button is pressed

    @app.command("/escalate")
    def on_escalate_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        user, channel = command["user_id"], command["channel_id"]
        _start(
            bot,
            respond,
            user,
            lambda: bot.runs.plan_escalation_for_latest(channel, user, command.get("text") or None),
            announce=True,
        )


def _value(action: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(action.get("value") or "{}")
    except json.JSONDecodeError:
        value = {}
    return value if isinstance(value, dict) else {}


def _selected_reason(body: dict[str, Any], block_id: str) -> str | None:
    state = (body.get("state") or {}).get("values") or {}
    selected = (state.get(block_id) or {}).get("escalate_reason", {}).get("selected_option")
    return selected.get("value") if isinstance(selected, dict) else None


def _start(bot: Routebot, respond: Respond, user_id: str, plan: Any, *, announce: bool = False) -> None:
    """Plan, gate and claim a run, then hand it to the dispatcher. Refusals go privately to the clicker."""
    try:
        planned: RunPlan = plan()
        if not planned.request.card_ts:
            respond(
                text="This request has no card in the channel to answer under; run `/route` again here.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        run = bot.runs.claim(planned, user_id)
    except ApprovalRequired as exc:
        ask_for_approval(bot, respond, user_id, exc.plan)
        return
    except UserError as exc:
        respond(text=exc.message, response_type="ephemeral", replace_original=False)
        return
    except (KeyError, ValueError):
        respond(
            text="That button is out of date; run `/route` again.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    if run is None:
        respond(
            text="That run has already started; its answer will appear in the thread.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    if announce:
        respond(
            text=f"Escalating to `{planned.choice.label}`: the answer will appear in the request's thread.",
            response_type="ephemeral",
            replace_original=False,
        )
    bot.dispatcher.start(run)
