"""Lanes that need approval: the gate that stops a run for the approvers, and the plan an approval runs.

Who is allowed is decided outside (bot/permissions.py asks Slack), and handed in as `is_allowed`, so this
module stays Slack-free. A step an approver has approved passes the gate, which is how an approval runs the
very plan that was asked for, and how its retries after a failure run without asking again.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.errors import ApprovalRequired, NotFound
from commands.policy import ModelChoice, Policy
from commands.runs import Gate, RunPlan
from storage.approvals import Approval, ApprovalStore
from storage.channel_settings import ChannelSettings
from storage.runs import RunStore


def approval_gate(
    settings_of: Callable[[str], ChannelSettings],
    is_allowed: Callable[[str], bool],
    approvals: ApprovalStore,
    policy: Policy,
) -> Gate:
    """A RunService gate: a run on a lane that needs approval starts only for approvers or once approved."""

    def gate(plan: RunPlan, user_id: str) -> None:
        if plan.lane not in settings_of(plan.request.channel_id).approval_lanes:
            return
        if approvals.is_approved(plan.request.id, plan.rung, plan.provider) or is_allowed(user_id):
            return
        title = policy.lane(plan.lane).title
        raise ApprovalRequired(plan, f"The {title} lane needs approval in this channel.")

    return gate


def plan_of(approval: Approval, store: RunStore) -> RunPlan:
    """The run plan an approval was asked for, rebuilt from what was stored."""
    request = store.request(approval.request_id)
    if request is None:
        raise NotFound("The request this approval was for no longer exists.")
    source = store.run(approval.escalated_from) if approval.escalated_from else None
    return RunPlan(
        request,
        approval.provider,
        approval.lane,
        ModelChoice(approval.provider, approval.model, approval.effort),
        approval.rung,
        attempt=approval.attempt,
        escalated_from=source,
        reason=approval.escalation_reason,
    )
