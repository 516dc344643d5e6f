"""Run, Escalate and Retry buttons, the escalation reason menu, and `/escalate`.

A click is checked before anything happens: its value must carry the bot's seal (bot/button_seal.py), and
the request it names must be the one whose card, or card's thread, was clicked (commands/clicks.py).
Otherwise it is refused privately and nothing is run, charged or asked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import Ack, Respond

from bot.blocks.run_messages import ESCALATE_REASON
from bot.button_seal import ButtonSeal
from bot.button_values import button_id
from bot.click_place import click_place
from bot.run_dispatch import RunDispatcher
from commands.clicks import require_clicked_on
from commands.errors import ApprovalRequired, UserError
from commands.runs import RunPlan, RunService
from commands.slack_text import decode
from storage.command_triggers import CommandTriggers

log = logging.getLogger(__name__)
AskForApproval = Callable[[Respond, str, RunPlan], None]  # (respond, requester, the plan that needs it)
Planner = Callable[[dict[str, Any]], RunPlan]  # a clicked button's value -> the run it asks for
OUT_OF_DATE = "That button is out of date; run `/route` again."


def provider_action(prefix: str, providers: Sequence[str]) -> re.Pattern[str]:
    """The action ids of one button per provider: `run_anthropic`, `escalate_openai` (bot/blocks)."""
    return re.compile(rf"^{re.escape(prefix)}({'|'.join(re.escape(p) for p in providers)})$")


class RunButtons:
    def __init__(
        self,
        runs: RunService,
        dispatcher: RunDispatcher,
        ask_for_approval: AskForApproval,
        *,
        seal: ButtonSeal,
        triggers: CommandTriggers,
        clock: Callable[[], float],
    ) -> None:
        self.runs, self.dispatcher, self.ask_for_approval = runs, dispatcher, ask_for_approval
        self.seal, self.triggers, self.clock = seal, triggers, clock

    def on_run(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        self._click(
            body,
            action,
            respond,
            lambda v: self.runs.plan_first_run(button_id(v, "request"), str(v["provider"])),
        )

    def on_escalate(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        reason = _selected_reason(body, action.get("block_id", ""))
        self._click(
            body,
            action,
            respond,
            lambda v: self.runs.plan_escalation(button_id(v, "run"), str(v["provider"]), reason),
        )

    def on_retry(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        self._click(body, action, respond, lambda v: self.runs.plan_retry(button_id(v, "run")))

    def on_reason(self, ack: Ack) -> None:
        ack()  # the choice is read from the message state when an Escalate button is pressed

    def on_escalate_command(self, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        trigger = command.get("trigger_id")
        if trigger and not self.triggers.first_time(trigger, "/escalate", self.clock()):
            log.info("duplicate /escalate delivery %s ignored", trigger)  # Slack's retry: handled once
            return
        user, channel = command["user_id"], command["channel_id"]
        reason = decode(command.get("text") or "") or None
        self._start(
            respond,
            user,
            lambda: self.runs.plan_escalation_for_latest(channel, user, reason),
            announce=True,
        )

    def _click(self, body: dict[str, Any], action: dict[str, Any], respond: Respond, plan: Planner) -> None:
        """Start what a button asks for, if the bot issued it and it was clicked on its own request."""
        value = self.seal.open(action)
        if value is None:
            log.warning("refused a click on %s with an unsealed value", action.get("action_id"))
            _private(respond, OUT_OF_DATE)
            return
        place = click_place(body)

        def plan_here() -> RunPlan:
            planned = plan(value)
            require_clicked_on(planned.request, place)
            return planned

        self._start(respond, body["user"]["id"], plan_here)

    def _start(
        self, respond: Respond, user_id: str, plan: Callable[[], RunPlan], *, announce: bool = False
    ) -> None:
        """Plan, gate and claim a run, then hand it to the dispatcher; refusals go only to the clicker."""
        try:
            planned = plan()
            if not planned.request.card_ts:
                _private(
                    respond,
                    "This request has no card in the channel to answer under; run `/route` again here.",
                )
                return
            run = self.runs.claim(planned, user_id)
        except ApprovalRequired as exc:
            self.ask_for_approval(respond, user_id, exc.plan)
            return
        except UserError as exc:
            _private(respond, exc.message)
            return
        except (KeyError, ValueError):
            _private(respond, OUT_OF_DATE)
            return
        if run is None:
            _private(respond, "That run has already started; its answer will appear in the thread.")
            return
        if announce:
            _private(
                respond,
                f"Escalating to `{planned.choice.label}`: the answer will appear in the request's thread.",
            )
        self.dispatcher.start(run)


def _selected_reason(body: dict[str, Any], block_id: str) -> str | None:
    state = (body.get("state") or {}).get("values") or {}
    selected = (state.get(block_id) or {}).get(ESCALATE_REASON, {}).get("selected_option")
    return selected.get("value") if isinstance(selected, dict) else None


def _private(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
