"""Approval messages in a request's thread: the question with Approve / Decline, and what became of it."""

from __future__ import annotations

from bot.blocks.common import actions, button, code, context, section
from bot.blocks.run_messages import Message
from bot.mrkdwn import mention
from commands.approvers import sentence_case
from commands.policy import ModelChoice, Policy
from commands.pricing import rate_card, rates_of
from storage.approvals import Approval

APPROVE, DECLINE = "approval_approve", "approval_decline"


def _what(approval: Approval, policy: Policy) -> str:
    model = ModelChoice(approval.provider, approval.model, approval.effort).label
    return f"{code(model)} on the {policy.lane(approval.lane).title} lane"


def approval_request(approval: Approval, policy: Policy, who: str) -> Message:
    what = _what(approval, policy)
    value = {"approval": approval.id}
    blocks = [
        section(
            f":raised_hand: {mention(approval.requester_id)} asks to run this request on {what}, "
            "which needs approval in this channel."
        ),
        context(
            f"Price: {rate_card(rates_of(policy, approval.provider, approval.model, approval.created_at))}.",
            f"{sentence_case(who)} can approve.",
        ),
        actions(
            f"approval:{approval.id}",
            button("Approve", APPROVE, value, style="primary"),
            button("Decline", DECLINE, value, style="danger"),
        ),
    ]
    return {
        "text": f"Approval needed: {approval.model} for {mention(approval.requester_id)}",
        "blocks": blocks,
    }


def approval_decided(approval: Approval, policy: Policy) -> Message:
    """What the question becomes once decided: no buttons left to press."""
    what, by, to = _what(approval, policy), approval.decided_by, approval.requester_id
    if approval.status == "approved":
        text = f":white_check_mark: {mention(by)} approved running {what} for {mention(to)}."
    else:
        text = f":no_entry: {mention(by)} declined running {what} for {mention(to)}."
    return {"text": text, "blocks": [section(text)]}


def declined_notice(approval: Approval, policy: Policy) -> Message:
    text = (
        f"{mention(approval.requester_id)}: {mention(approval.decided_by)} declined your request to run "
        f"{_what(approval, policy)}. Nothing ran and nothing was charged."
    )
    return {"text": text, "blocks": [section(text)]}


def approved_but_refused(approval: Approval, reason: str) -> Message:
    text = (
        f"{mention(approval.requester_id)}: {mention(approval.decided_by)} approved your run, "
        f"but it could not start: {reason}"
    )
    return {"text": text, "blocks": [section(text)]}
