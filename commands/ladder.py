"""Where a run can climb: the next rung per provider, following the policy's escalation ladder.

A provider's ladder skips lanes that would run the very same model and effort (Anthropic's `max` is the Opus
of `premium`), so "escalate" always means a stronger setting, and the top is where nothing stronger is left.
Stepping onto the policy's last-resort lane asks for confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.policy import ModelChoice, Policy


@dataclass(frozen=True)
class Step:
    provider: str
    lane: str
    choice: ModelChoice
    needs_confirmation: bool  # stepping onto the last-resort lane


def next_step(policy: Policy, lane_id: str, provider: str) -> Step | None:
    """The next stronger setting for this provider above `lane_id`, or None at the top of its ladder."""
    current = policy.lane(lane_id).models.get(provider)
    lane = policy.lane(lane_id)
    while lane.escalates_to is not None:
        lane = policy.lane(lane.escalates_to)
        choice = lane.models.get(provider)
        if choice is not None and choice != current:
            return Step(provider, lane.id, choice, lane.id == policy.roles.last_resort)
    return None


def escalation_steps(policy: Policy, lane_id: str, provider: str, providers: tuple[str, ...]) -> list[Step]:
    """The buttons under an answer: the same provider's next rung, then the other providers on that rung.

    When the same provider is already at its top, the other providers are offered the next rung up.
    """
    own = next_step(policy, lane_id, provider)
    target_lane = own.lane if own else policy.lane(lane_id).escalates_to
    steps = [own] if own and provider in providers else []
    if target_lane is None:
        return steps
    for other in providers:
        if other == provider:
            continue
        choice = policy.lane(target_lane).models.get(other)
        if choice is not None and _has_own_rung(policy, target_lane, other):
            steps.append(Step(other, target_lane, choice, target_lane == policy.roles.last_resort))
    return steps


def _has_own_rung(policy: Policy, lane_id: str, provider: str) -> bool:
    """False where the lane repeats the rung below for this provider (Anthropic's max is premium's Opus)."""
    ladder = policy.ladder
    if lane_id not in ladder or ladder.index(lane_id) == 0:
        return True
    below = policy.lane(ladder[ladder.index(lane_id) - 1]).models.get(provider)
    return policy.lane(lane_id).models.get(provider) != below
