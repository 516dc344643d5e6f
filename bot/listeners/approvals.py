"""Approve / Decline for runs on lanes that need approval.

The question is posted in the request's thread when a run is refused with ApprovalRequired (see
bot/listeners/runs.py). Every click is checked on the server: the payload only says who clicked, so a
crafted block_actions from someone who may not approve changes nothing. An approval claims the asked-for
run exactly once: the decision is a conditional UPDATE, and the run's own UNIQUE constraint backs it up.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.blocks.approvals import (
    APPROVE,
    DECLINE,
    approval_decided,
    approval_request,
    approved_but_refused,
    declined_notice,
)
from bot.context import Routebot
from bot.permissions import Permissions
from commands.approvals import plan_of
from commands.channel_settings import who_can_change
from commands.errors import UserError
from commands.runs import RunPlan
from storage.approvals import Approval, ApprovalStore

log = logging.getLogger(__name__)


def ask_for_approval(bot: Routebot, respond: Respond, requester_id: str, plan: RunPlan) -> None:
    """Post the question with Approve / Decline in the request's thread and tell the requester privately."""
    approvals = ApprovalStore(bot.database)
    who = who_can_change(bot.config.admins)
    lane = bot.policy.lane(plan.lane).title
    approval, new = approvals.ask(plan.as_new_run(requester_id), bot.clock())
    if not new:
        _private(respond, f"This run is already waiting for approval in the thread; {who} can approve.")
        return
    request, client = plan.request, bot.dispatcher.client
    try:
        reply = client.chat_postMessage(
            channel=request.card_channel,
            thread_ts=request.card_ts,
            **approval_request(approval, bot.policy, who),
        )
    except SlackApiError as exc:
        approvals.withdraw(approval.id)
        log.warning("could not ask for approval of %s: %s", approval.id, exc.response.get("error"))
        _private(
            respond,
            f"The {lane} lane needs approval in this channel, and I couldn't ask in the "
            f"thread ({exc.response.get('error')}). Ask {who} to run it.",
        )
        return
    approvals.set_message(approval.id, reply["ts"])
    _private(
        respond,
        f"The {lane} lane needs approval in this channel, so I asked in the request's thread. "
        f"It runs as soon as one of {who} approves.",
    )


def register(app: App, bot: Routebot, approvals: ApprovalStore, permissions: Permissions) -> None:
    who = who_can_change(bot.config.admins)

    def decide(
        body: dict[str, Any], action: dict[str, Any], respond: Respond, status: str
    ) -> Approval | None:
        """Check the clicker, record the decision once, and turn the question into its outcome."""
        user = body["user"]["id"]
        approval_id = _approval_id(action)
        approval = approvals.get(approval_id) if approval_id is not None else None
        if approval is None:
            _private(respond, "That approval request no longer exists.")
            return None
        if not permissions.is_allowed(user):
            log.warning("%s tried to mark approval %s %s but may not approve", user, approval.id, status)
            _private(respond, f"Only {who} can approve or decline runs that need approval.")
            return None
        decided = approvals.decide(approval.id, status, user, bot.clock())
        if decided is None:
            current = approvals.get(approval.id) or approval
            _private(respond, f"<@{current.decided_by}> already {current.status} this run.")
            return None
        _close_question(bot, decided)
        return decided

    @app.action(APPROVE)
    def on_approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        decided = decide(body, action, respond, "approved")
        if decided is not None:
            _run_approved(bot, decided, respond)

    @app.action(DECLINE)
    def on_decline(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        decided = decide(body, action, respond, "declined")
        if decided is not None:
            _post_in_thread(bot, decided, declined_notice(decided, bot.policy))


def _close_question(bot: Routebot, approval: Approval) -> None:
    """The question becomes its outcome, without buttons, so nobody presses them again."""
    request = bot.store.request(approval.request_id)
    if not approval.message_ts or request is None or not request.card_channel:
        return
    try:
        bot.dispatcher.client.chat_update(
            channel=request.card_channel, ts=approval.message_ts, **approval_decided(approval, bot.policy)
        )
    except SlackApiError as exc:
        log.warning("could not update approval %s: %s", approval.id, exc.response.get("error"))


def _run_approved(bot: Routebot, approval: Approval, respond: Respond) -> None:
    """Start the approved run as the requester's; refusals since the question (budget...) go in the thread."""
    try:
        plan = plan_of(approval, bot.store)
        if plan.provider not in bot.allowed_providers(plan.request.channel_id):
            raise UserError("this channel's settings no longer allow that provider.")
        run = bot.runs.claim(plan, approval.requester_id)
    except UserError as exc:
        _post_in_thread(bot, approval, approved_but_refused(approval, exc.message))
        return
    if run is None:
        _private(respond, "That run has already started; its answer will appear in the thread.")
        return
    bot.dispatcher.start(run)


def _post_in_thread(bot: Routebot, approval: Approval, message: dict[str, Any]) -> None:
    request = bot.store.request(approval.request_id)
    if request is None or not request.card_ts:
        return
    try:
        bot.dispatcher.client.chat_postMessage(
            channel=request.card_channel, thread_ts=request.card_ts, **message
        )
    except SlackApiError as exc:
        log.warning("could not post about approval %s: %s", approval.id, exc.response.get("error"))


def _approval_id(action: dict[str, Any]) -> int | None:
    try:
        value = json.loads(action.get("value") or "{}")
        return int(value["approval"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _private(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
