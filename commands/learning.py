"""Learning, as the rest of routebot uses it: adjust a fresh routing decision, remember it, explain it.

The calibration itself is pure (commands/calibration.py); this joins it to storage and to the router's
`Decision`, so `/route`, `routebot route --channel` and the channel settings all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from commands.calibration import (
    DAY,
    SIMILAR,
    WINDOW_DAYS,
    Adjustment,
    Features,
    Learned,
    Signal,
    calibrate,
    learned_kinds,
    signal,
    similarity_features,
)
from commands.policy import Policy
from commands.router import Alternative, Decision
from storage.learning import LearningState, LearningStore, LearningWeek


@dataclass(frozen=True)
class LearnedRoute:
    decision: Decision  # the decision the card shows: the base router's, moved by learning or not
    base: Decision  # the base router's own
    adjustment: Adjustment | None
    features: frozenset[str]


class Learning:
    def __init__(
        self,
        store: LearningStore,
        policy: Policy,
        features: Features | None = None,
        similar_at: float = SIMILAR,
    ) -> None:
        self.store = store
        self.policy = policy
        # "Similar requests" are judged by this text -> feature-set function, and this cosine threshold.
        self.features = features or similarity_features(policy)
        self.similar_at = similar_at

    def signals(self, now: float, channel_id: str) -> list[Signal]:
        """The evidence a decision in `channel_id` weighs: the channel's recent outcomes and the workspace's.

        Read apart, so a busy workspace never crowds a channel's own evidence out of the bounded read.
        """
        since = now - WINDOW_DAYS * DAY
        observed = {o.request_id: o for o in self.store.observed(since)}
        observed.update((o.request_id, o) for o in self.store.observed(since, channel_id))
        found = (signal(o, now) for o in observed.values())
        return [s for s in found if s is not None]

    def adjust(self, decision: Decision, task: str, channel_id: str, now: float) -> LearnedRoute:
        """The decision learning would have this channel start from (unchanged for an explicit lane)."""
        features = self.features(task)
        if decision.explicit or not self.store.state(channel_id).enabled:
            return LearnedRoute(decision, decision, None, features)
        adjustment = calibrate(
            features,
            decision.lane.id,
            channel_id=channel_id,
            signals=self.signals(now, channel_id),
            policy=self.policy,
            provider=decision.provider,
            now=now,
            threshold=self.similar_at,
        )
        if adjustment is None:
            return LearnedRoute(decision, decision, None, features)
        return LearnedRoute(_moved(decision, adjustment, self.policy), decision, adjustment, features)

    def record(self, request_id: int, channel_id: str, learned: LearnedRoute, now: float) -> None:
        adjustment = learned.adjustment
        base_rung = learned.base.lane.rung
        rung = learned.decision.lane.rung
        self.store.record(
            request_id=request_id,
            channel_id=channel_id,
            base_lane=learned.base.lane.id,
            lane=learned.decision.lane.id,
            moved=(rung > base_rung) - (rung < base_rung),
            offer=adjustment.offer if adjustment else None,
            explicit=learned.base.explicit,
            features=learned.features,
            explanation=adjustment.explanation if adjustment else None,
            now=now,
        )

    def kinds(self, channel_id: str, provider: str, now: float) -> list[Learned]:
        return learned_kinds(
            channel_id, self.signals(now, channel_id), self.policy, provider, now, self.similar_at
        )

    def state(self, channel_id: str) -> LearningState:
        return self.store.state(channel_id)

    def set_enabled(self, channel_id: str, enabled: bool, user_id: str, now: float) -> bool:
        return self.store.set_enabled(channel_id, enabled, user_id, now)

    def reset(self, channel_id: str, user_id: str, now: float) -> int:
        return self.store.reset(channel_id, user_id, now)

    def week(self, channel_id: str, start: float, end: float) -> LearningWeek:
        return self.store.week(channel_id, start, end)


def kind_line(kind: Learned, policy: Policy) -> str:
    """One learned kind of request in words (plain text): its example, the lanes, the counts."""
    base, lane = policy.lane(kind.base_lane).title, policy.lane(kind.lane).title
    if kind.offer is not None:
        change = f"{base}, {policy.lane(kind.offer).title} offered ({kind.fine} similar were fine there)"
    elif kind.escalated:
        change = f"{base} → {lane} ({kind.escalated} of {kind.requests} similar escalated)"
    else:
        change = f"{base} → {lane} ({kind.fine} of {kind.requests} similar were fine on {lane})"
    return f"“{kind.example}”: {change}"


def _moved(decision: Decision, adjustment: Adjustment, policy: Policy) -> Decision:
    if adjustment.offer is not None:
        offer = Alternative(adjustment.offer, adjustment.explanation, policy.lane(adjustment.offer).models)
        others = tuple(a for a in decision.alternatives if a.lane != adjustment.offer)
        return replace(decision, alternatives=(offer, *others))
    lane = policy.lane(adjustment.lane)
    provider = decision.provider if decision.provider in lane.models else next(iter(lane.models))
    base = Alternative(decision.lane.id, "the router's own choice, before learning", decision.lane.models)
    others = tuple(a for a in decision.alternatives if a.lane not in (lane.id, decision.lane.id))
    return replace(
        decision,
        lane=lane,
        provider=provider,
        model=lane.models[provider],
        models=dict(lane.models),
        reasons=(adjustment.explanation, *decision.reasons),
        alternatives=(base, *others),
    )
