"""Approve / Decline for runs on lanes that need approval.

The question is posted in the request's thread when a run is refused with ApprovalRequired (see
bot/listeners/runs.py). Every click is checked on the server: its value must carry the bot's seal, it must
come from the request's own thread (commands/clicks.py), and the payload only says who clicked, so a crafted
block_actions from someone who may not approve changes nothing. An approval claims the asked-for
run exactly once: the decision is a conditional UPDATE, and the run's own UNIQUE constraint backs it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.approvals import (
    approval_decided,
    approval_request,
    approved_but_refused,
    declined_notice,
)
from bot.button_seal import ButtonSeal
from bot.button_values import button_id
from bot.click_place import click_place
from bot.mrkdwn import mention
from bot.permissions import Permissions
from bot.run_dispatch import RunDispatcher
from commands.approvals import plan_of
from commands.channel_settings import Channels
from commands.clicks import require_clicked_on
from commands.errors import PermissionDenied, UserError
from commands.policy import Policy
from commands.runs import RunPlan, RunService
from storage.approvals import Approval, ApprovalStore
from storage.runs import RunStore

log = logging.getLogger(__name__)


class Approvals:
    def __init__(
        self,
        *,
        client: WebClient,
        policy: Policy,
        store: RunStore,
        approvals: ApprovalStore,
        permissions: Permissions,
        channels: Channels,
        runs: RunService,
        dispatcher: RunDispatcher,
        clock: Callable[[], float],
        who: str,
        seal: ButtonSeal,
    ) -> None:
        self.client, self.policy, self.store, self.approvals = client, policy, store, approvals
        self.permissions, self.channels, self.runs, self.dispatcher = permissions, channels, runs, dispatcher
        self.clock, self.who, self.seal = clock, who, seal

    def ask(self, respond: Respond, requester_id: str, plan: RunPlan) -> None:
        """Post the question with Approve / Decline in the request's thread; tell the requester privately."""
        lane = self.policy.lane(plan.lane).title
        approval, new = self.approvals.ask(plan.as_new_run(requester_id), self.clock())
        if not new:
            _private(
                respond, f"This run is already waiting for approval in the thread; {self.who} can approve."
            )
            return
        request = plan.request
        try:
            reply = self.client.chat_postMessage(
                channel=request.card_channel or request.channel_id,
                thread_ts=request.answer_thread,
                **self.seal.message(approval_request(approval, self.policy, self.who)),
            )
        except SlackApiError as exc:
            self.approvals.withdraw(approval.id)
            log.warning("could not ask for approval of %s: %s", approval.id, exc.response.get("error"))
            _private(
                respond,
                f"The {lane} lane needs approval in this channel, and I couldn't ask in the "
                f"thread ({exc.response.get('error')}). Ask {self.who} to run it.",
            )
            return
        self.approvals.set_message(approval.id, reply["ts"])
        _private(
            respond,
            f"The {lane} lane needs approval in this channel, so I asked in the request's thread. "
            f"It runs as soon as one of {self.who} approves.",
        )

    def on_approve(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        decided = self._decide(body, action, respond, "approved")
        if decided is not None:
            self._run_approved(decided, respond)

    def on_decline(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        decided = self._decide(body, action, respond, "declined")
        if decided is not None:
            self._post_in_thread(decided, declined_notice(decided, self.policy))

    def _decide(
        self, body: dict[str, Any], action: dict[str, Any], respond: Respond, status: str
    ) -> Approval | None:
        """Check the clicker, record the decision once, and turn the question into its outcome."""
        user = body["user"]["id"]
        value = self.seal.open(action)
        if value is None:
            log.warning("refused a click on %s with an unsealed value", action.get("action_id"))
            _private(respond, "That button is out of date.")
            return None
        approval = self.approvals.get(_approval_id(value))
        request = self.store.request(approval.request_id) if approval is not None else None
        if approval is None or request is None:
            _private(respond, "That approval request no longer exists.")
            return None
        place = click_place(body)
        try:
            require_clicked_on(request, place)
        except PermissionDenied as exc:
            log.warning("%s clicked approval %s outside its thread", user, approval.id)
            _private(respond, exc.message)
            return None
        if not self.permissions.is_allowed(user):
            log.warning("%s tried to mark approval %s %s but may not approve", user, approval.id, status)
            _private(respond, f"Only {self.who} can approve or decline runs that need approval.")
            return None
        decided = self.approvals.decide(approval.id, status, user, self.clock())
        if decided is None:
            current = self.approvals.get(approval.id) or approval
            _private(respond, f"{mention(current.decided_by)} already {current.status} this run.")
            return None
        self._close_question(decided, place.message_ts)
        return decided

    def _close_question(self, approval: Approval, clicked_ts: str | None) -> None:
        """The question becomes its outcome, without buttons, so nobody presses them again.

        The question's ts is recorded just after it is posted; a click can land in between, and then the
        message clicked (sealed buttons only exist on the question) is the one to update."""
        request = self.store.request(approval.request_id)
        ts = approval.message_ts or clicked_ts
        if not ts or request is None or not request.card_channel:
            return
        try:
            self.client.chat_update(
                channel=request.card_channel,
                ts=ts,
                **approval_decided(approval, self.policy),
            )
        except SlackApiError as exc:
            log.warning("could not update approval %s: %s", approval.id, exc.response.get("error"))

    def _run_approved(self, approval: Approval, respond: Respond) -> None:
        """Start the approved run as the requester's; refusals since (the budget...) go in the thread."""
        try:
            plan = plan_of(approval, self.store)
            if plan.provider not in self.channels.allowed_providers(plan.request.channel_id):
                raise UserError("this channel's settings no longer allow that provider.")
            run = self.runs.claim(plan, approval.requester_id)
        except UserError as exc:
            self._post_in_thread(approval, approved_but_refused(approval, exc.message))
            return
        if run is None:
            _private(respond, "That run has already started; its answer will appear in the thread.")
            return
        self.dispatcher.start(run)

    def _post_in_thread(self, approval: Approval, message: dict[str, Any]) -> None:
        request = self.store.request(approval.request_id)
        if request is None or not request.card_ts:
            return
        try:
            self.client.chat_postMessage(
                channel=request.card_channel or request.channel_id, thread_ts=request.answer_thread, **message
            )
        except SlackApiError as exc:
            log.warning("could not post about approval %s: %s", approval.id, exc.response.get("error"))


def _approval_id(value: dict[str, Any]) -> int:
    try:
        return button_id(value, "approval")
    except (KeyError, ValueError):
        return 0  # matches no row: "no longer exists"


def _private(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
