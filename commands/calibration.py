"""A channel's calibration, learned from its escalations: where similar requests had to go, start there.

Pure functions over past outcomes (`Signal`s, read by storage/learning.py); no clock, no I/O.

The method, chosen by measurement in bench/learning.py (see the README's "Learning" section): nearest
neighbours. A new request is compared with the channel's past requests (cosine over the sets of the
router's own word and word-pair features); the similar ones say, rung by rung, "this needed more than
rung r" (it was escalated from r) or "rung r was enough" (its escalations stopped at r, with a helpful
vote or no further escalation within a day). Recent weeks count more (a half-life). The base router's
choice is a prior: it counts as one request that was fine there.

Bounds, all enforced here:
- never the last-resort lane (`max`), never more than one rung from the base router's choice, never when
  the lane was explicit;
- start a rung higher only with at least `MIN_ESCALATED` similar escalated requests that outweigh those
  that were fine; offer a cheaper lane with `MIN_FINE_TO_OFFER` similar requests fine there, and start there
  only with `MIN_FINE_TO_START` and hardly any failure;
- another channel's evidence counts only when the workspace-wide evidence is strong: several other
  channels, many requests, a clear majority.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from commands.policy import Policy
from commands.text_features import analysed_text, features, read_words
from storage.learning import Observed

DAY = 86_400.0
# A request whose last run is a day old without a further escalation was answered well enough.
SETTLED_AFTER = DAY
HALF_LIFE_DAYS = 14.0
WINDOW_DAYS = 56.0
SIMILAR = 0.5  # cosine similarity at or above which two requests count as "similar" (measured, bench/)
PRIOR_FINE = 1.0  # the base router's choice, counted as one request that was fine there
MIN_ESCALATED = 3
UP_SHARE = 0.5
MIN_FINE_TO_OFFER = 5
MIN_FINE_TO_START = 8
OFFER_SHARE = 0.8
DOWN_SHARE = 0.85
WEAK_FAILURE = 0.5  # a "not helpful" vote without an escalation counts as half an escalation
# Workspace evidence from other channels changes this channel's routes only when it is strong.
WORKSPACE_MIN_CHANNELS = 2
WORKSPACE_MIN_ESCALATED = 6
WORKSPACE_SHARE = 0.7
WORKSPACE_WEIGHT = 0.5

REASON_LABELS = {
    "wrong_answer": "wrong answer",
    "too_shallow": "too shallow",
    "missed_context": "missed context",
    "high_stakes": "high stakes",
    "other": "other",
}

Features = Callable[[str], frozenset[str]]


def similarity_features(policy: Policy) -> Features:
    """The router's own reading of a task (commands/text_features.py) as "similar requests" judge it.

    The request's words and adjacent word pairs, model names read as their rung and left out, as the lane
    model reads them; not pasted material (it tells the topic, not the kind of work) nor character n-grams
    (they make every English request look alike). Hashed, so no task text outlives its retention period.
    """

    def read(text: str) -> frozenset[str]:
        found = features(policy.model_names.mark(read_words(analysed_text(text))))
        keys = [*("w " + word for word in found.words), *(f"b {a} {b}" for a, b in found.pairs)]
        return frozenset(_hash(key) for key in keys)

    return read


@lru_cache(maxsize=1 << 16)  # a pure function of the key, and chat reuses its words: most calls are hits
def _hash(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Signal:
    """One past request as evidence: it needed more than `failed` and/or `fine` was enough."""

    request_id: int
    channel_id: str
    features: frozenset[str]
    base_lane: str
    at: float
    failed: int | None
    fine: int | None
    failure_weight: float  # 1 for an escalation, WEAK_FAILURE for a not-helpful vote
    reasons: tuple[str, ...]
    task: str | None


def signal(observed: Observed, now: float) -> Signal | None:
    """The evidence in one request, or None while it says nothing yet (answered, not yet settled)."""
    failed, weight = observed.escalated_from, 1.0
    fine = None
    top = observed.top_succeeded
    if top is not None and (failed is None or top > failed):
        if observed.helpful is False:
            if failed is None:  # not helpful and nobody escalated: a weak sign the rung was not enough
                failed, weight = top, WEAK_FAILURE
        elif observed.helpful is True or now - observed.last_run_at >= SETTLED_AFTER:
            fine = top
    if failed is None and fine is None:
        return None
    return Signal(
        observed.request_id,
        observed.channel_id,
        observed.features,
        observed.base_lane,
        observed.created_at,
        failed,
        fine,
        weight,
        observed.reasons,
        observed.task,
    )


@dataclass(frozen=True)
class Tally:
    """Similar requests around one rung, weighted by recency; `count`s are the raw numbers shown."""

    failed: float = 0.0
    fine: float = 0.0
    failed_count: int = 0
    fine_count: int = 0
    similar_count: int = 0
    channels: int = 0  # distinct channels with a failure (workspace evidence)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """What learning did to one request, with the evidence in words for the card, CLI and settings."""

    base_lane: str
    lane: str  # where the request starts; equal to base_lane when learning only offers a cheaper lane
    offer: str | None  # a cheaper lane shown as an alternative
    explanation: str
    channel: Tally
    workspace: Tally | None  # other channels' evidence, when it was strong enough to count

    @property
    def moved(self) -> bool:
        return self.lane != self.base_lane

    def as_dict(self) -> dict[str, object]:
        return {
            "base_lane": self.base_lane,
            "lane": self.lane,
            "moved": self.moved,
            "offer": self.offer,
            "explanation": self.explanation,
            "similar_here": self.channel.similar_count,
            "escalated_here": self.channel.failed_count,
            "fine_here": self.channel.fine_count,
            "workspace_escalated": self.workspace.failed_count if self.workspace else 0,
        }


def similar(
    features: frozenset[str], signals: Sequence[Signal], threshold: float = SIMILAR
) -> list[tuple[Signal, float]]:
    """The signals similar to `features`, with their similarity: cosine over the sets of text features.

    Unweighted on purpose: IDF weights from a channel's few dozen requests made every word the pool had
    not seen yet (a new team's name) dilute the similarity of otherwise identical requests (bench/).
    """
    if not features:
        return []
    size = len(features)
    out: list[tuple[Signal, float]] = []
    for s in signals:
        if not s.features:
            continue
        score = len(features & s.features) / math.sqrt(size * len(s.features))
        if score >= threshold:
            out.append((s, score))
    return out


def calibrate(
    features: frozenset[str],
    base_lane: str,
    *,
    channel_id: str,
    signals: Sequence[Signal],
    policy: Policy,
    provider: str,
    now: float,
    threshold: float = SIMILAR,
) -> Adjustment | None:
    """Where to start a request the base router sent to `base_lane`, or None to leave it there."""
    last_resort = policy.roles.last_resort  # `max`: learning never starts a request there
    if base_lane == last_resort:
        return None
    base = policy.lane(base_lane).rung
    top = policy.lane(last_resort).rung
    pool = [s for s in signals if now - s.at <= WINDOW_DAYS * DAY]
    near = similar(features, pool, threshold)
    here = [(s, w) for s, w in near if s.channel_id == channel_id]
    elsewhere = [(s, w) for s, w in near if s.channel_id != channel_id]

    up_rung = base + 1
    if up_rung < top:
        mine = _tally(here, base, now)
        theirs = _tally(elsewhere, base, now)
        strong = _workspace_strong(theirs)
        failed = mine.failed + (WORKSPACE_WEIGHT * theirs.failed if strong else 0.0)
        fine = mine.fine + (WORKSPACE_WEIGHT * theirs.fine if strong else 0.0)
        count = mine.failed_count + (theirs.failed_count if strong else 0)
        if count >= MIN_ESCALATED and failed / (failed + fine + PRIOR_FINE) >= UP_SHARE:
            lane = _lane_above(policy, base_lane)
            return Adjustment(
                base_lane,
                lane,
                None,
                _up_text(policy, provider, base_lane, lane, mine, theirs if strong else None),
                mine,
                theirs if strong else None,
            )

    if base >= 1:
        below = policy.ladder[base - 1]
        mine = _tally(here, base - 1, now)
        fine_share = mine.fine / (mine.fine + mine.failed + PRIOR_FINE)
        if mine.fine_count >= MIN_FINE_TO_OFFER and fine_share >= OFFER_SHARE:
            start = mine.fine_count >= MIN_FINE_TO_START and fine_share >= DOWN_SHARE
            model = _model(policy, below, provider)
            if start:
                text = (
                    f"Started at {model} instead of {_model(policy, base_lane, provider)}: "
                    f"{mine.fine_count} of the last {mine.similar_count} similar requests here "
                    f"were fine on {model}"
                )
                return Adjustment(base_lane, below, None, text, mine, None)
            text = f"{mine.fine_count} similar requests here were fine on {model}"
            return Adjustment(base_lane, base_lane, below, text, mine, None)
    return None


def _tally(near: Iterable[tuple[Signal, float]], rung: int, now: float) -> Tally:
    """Evidence about `rung`: similar requests that needed more than it, and ones it (or less) sufficed."""
    failed = fine = 0.0
    failed_count = fine_count = similar_count = 0
    channels: set[str] = set()
    reasons: list[str] = []
    for s, _score in near:
        similar_count += 1
        weight = 0.5 ** ((now - s.at) / (HALF_LIFE_DAYS * DAY))
        if s.failed is not None and s.failed >= rung:
            failed += weight * s.failure_weight
            failed_count += 1
            channels.add(s.channel_id)
            reasons.extend(s.reasons)
        elif s.fine is not None and s.fine <= rung:
            fine += weight
            fine_count += 1
    return Tally(failed, fine, failed_count, fine_count, similar_count, len(channels), tuple(reasons))


def _workspace_strong(theirs: Tally) -> bool:
    return (
        theirs.channels >= WORKSPACE_MIN_CHANNELS
        and theirs.failed_count >= WORKSPACE_MIN_ESCALATED
        and theirs.failed / (theirs.failed + theirs.fine + PRIOR_FINE) >= WORKSPACE_SHARE
    )


def _lane_above(policy: Policy, lane_id: str) -> str:
    """One rung up: the lane's own escalation target (code climbs to premium), else the ladder's next."""
    lane = policy.lane(lane_id)
    return lane.escalates_to or policy.ladder[lane.rung + 1]


def _model(policy: Policy, lane_id: str, provider: str) -> str:
    models = policy.lane(lane_id).models
    choice = models.get(provider) or next(iter(models.values()))
    return choice.label


def _up_text(policy: Policy, provider: str, base: str, lane: str, mine: Tally, theirs: Tally | None) -> str:
    from_model = _model(policy, base, provider)
    text = f"Started at {_model(policy, lane, provider)} instead of {from_model}: "
    if mine.failed_count:
        text += (
            f"{mine.failed_count} of the last {mine.similar_count} similar requests here "
            f"were escalated from {from_model}"
        )
        if theirs is not None:
            text += f", and {theirs.failed_count} in {theirs.channels} other channels"
    elif theirs is not None:
        text += (
            f"{theirs.failed_count} similar requests in {theirs.channels} other channels "
            f"were escalated from {from_model}"
        )
    reasons = [*mine.reasons, *(theirs.reasons if theirs else ())]
    if reasons:
        reason, _ = Counter(reasons).most_common(1)[0]
        text += f", mostly '{REASON_LABELS.get(reason, reason)}'"
    return text


@dataclass(frozen=True)
class Learned:
    """One kind of request a channel taught routebot, for the channel settings."""

    example: str  # an example task, clipped; "(text removed after retention)" once purged
    base_lane: str
    lane: str
    offer: str | None
    requests: int  # similar requests behind it
    escalated: int
    fine: int


def learned_kinds(
    channel_id: str,
    signals: Sequence[Signal],
    policy: Policy,
    provider: str,
    now: float,
    threshold: float = SIMILAR,
    limit: int = 5,
) -> list[Learned]:
    """Group the channel's evidence into kinds (greedily, newest first) and say what each one changed."""
    mine = sorted((s for s in signals if s.channel_id == channel_id), key=lambda s: (-s.at, -s.request_id))
    covered: set[int] = set()
    out: list[Learned] = []
    for seed in mine:
        if seed.request_id in covered:
            continue
        group = similar(seed.features, [s for s in mine if s.base_lane == seed.base_lane], threshold)
        covered.update(s.request_id for s, _ in group)
        adjustment = calibrate(
            seed.features,
            seed.base_lane,
            channel_id=channel_id,
            signals=signals,
            policy=policy,
            provider=provider,
            now=now,
            threshold=threshold,
        )
        if adjustment is None:
            continue
        example = seed.task if seed.task is not None else "(text removed after retention)"
        out.append(
            Learned(
                example[:80] + ("…" if len(example) > 80 else ""),
                adjustment.base_lane,
                adjustment.lane,
                adjustment.offer,
                adjustment.channel.similar_count,
                adjustment.channel.failed_count,
                adjustment.channel.fine_count,
            )
        )
        if len(out) >= limit:
            break
    return out
