"""The weekly digest of one channel: its figures and at most one suggestion (words: commands/digest_text.py).

`build_digest` is a pure function of the aggregates storage/digests.py returns and the policy;
`compute_digests` fetches those aggregates. Money stays integer nano-dollars, and runs whose price is
unknown are counted apart, never added in as $0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from commands.learning import Learning, kind_line
from commands.policy import ModelChoice, Policy
from commands.pricing import ModelRates
from commands.reprice import premium_rates, reprice, size_bands
from commands.runs import REASONS
from commands.weeks import Week
from storage.db import Database
from storage.digests import ChannelWeek, Period, active_channels, week_activity
from storage.learning import LearningStore, LearningWeek

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_SPENDERS = 5  # people listed when ROUTEBOT_DIGEST_SHOW_USERS is on
SUGGEST_MIN_REQUESTS = 10  # fewer requests than this on a lane say nothing reliable
SUGGEST_ESCALATION_RATE = 0.30
SUGGEST_MAX_SHARE = 0.25


@dataclass(frozen=True)
class DigestOptions:
    tz: str = "UTC"
    show_users: bool = False
    workers: int = 2  # threads querying SQLite


@dataclass(frozen=True)
class Summary:
    spend_nanousd: int  # succeeded runs with a known price
    unknown_runs: int  # succeeded runs whose price is unknown
    runs: int  # every run created in the period, whatever its status
    requests: int  # requests with a run in the period
    escalated_requests: int

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated_requests / self.requests if self.requests else None


@dataclass(frozen=True)
class Share:
    """Spend of one lane, model or user."""

    key: str
    label: str
    runs: int  # succeeded
    spend_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class PathCount:
    from_label: str
    to_label: str
    count: int


@dataclass(frozen=True)
class ReasonCount:
    reason: str | None
    label: str
    count: int


@dataclass(frozen=True)
class Average:
    """Known spend per request run. With runs of unknown price it is a floor, said as "at least"."""

    nanousd: int
    at_least: bool


@dataclass(frozen=True)
class PremiumComparison:
    """The same succeeded runs re-priced on the premium lane's model for their provider."""

    premium_nanousd: int
    actual_nanousd: int
    compared_runs: int
    excluded_runs: int  # the run's price or its re-price is unknown

    @property
    def saving_nanousd(self) -> int:
        return self.premium_nanousd - self.actual_nanousd


@dataclass(frozen=True)
class DayBar:
    label: str  # "Mon 2"
    lanes: tuple[tuple[str, int], ...]  # (lane id, known spend) in ladder order, the same lanes every day

    @property
    def spend_nanousd(self) -> int:
        return sum(cost for _, cost in self.lanes)


@dataclass(frozen=True)
class HelpfulRate:
    """A lane's helpful rate: answers voted helpful / all votes on its runs this week."""

    lane: str
    label: str
    helpful: int
    votes: int

    @property
    def rate(self) -> float:
        return self.helpful / self.votes


@dataclass(frozen=True)
class Digest:
    channel_id: str
    week: Week
    tz: str
    until: float  # where the figures stop: week.end, or `now` for the week so far
    summary: Summary
    lanes: tuple[Share, ...]
    models: tuple[Share, ...]
    paths: tuple[PathCount, ...]
    reasons: tuple[ReasonCount, ...]
    average: Average
    premium: PremiumComparison
    previous: Summary | None  # the week before (to the same point, for a week so far); None: no runs then
    days: tuple[DayBar, ...]
    users: tuple[Share, ...]  # the top spenders; empty unless ROUTEBOT_DIGEST_SHOW_USERS is on
    suggestion: str | None
    helpful: tuple[HelpfulRate, ...] = ()  # lanes with feedback this week, in ladder order
    learning: LearningWeek | None = None  # what learning did this week; None when it did nothing
    learned: tuple[str, ...] = ()  # what it has learned in the channel by the week's end, in words

    @property
    def so_far(self) -> bool:
        return self.until < self.week.end


def compute_digests(
    database: Database,
    policy: Policy,
    week: Week,
    options: DigestOptions,
    *,
    now: float | None = None,
    channels: Sequence[str] | None = None,
) -> list[Digest]:
    """The digest of every channel with runs in `week` (or of `channels` that had any), by channel id.

    With `now` inside the week the figures stop at `now`, and are compared with the week before up to the
    same point, so a Wednesday view is not set against a whole week.
    """
    until = week.end if now is None or now >= week.end else now
    names = list(channels) if channels is not None else active_channels(database, week.start, until)
    before = week.previous(options.tz)
    before_until = before.end if until >= week.end else before.start + (until - week.start)
    period = Period(week.start, until, day_starts(week, options.tz)[1:])
    premium = premium_rates(policy, week.start)  # the rates in force when the week began
    weeks = week_activity(
        database,
        names,
        period,
        size_bands(premium),
        before=(before.start, before_until),
        users=TOP_SPENDERS if options.show_users else 0,
        workers=options.workers,
    )
    learning = Learning(LearningStore(database), policy)
    digests = []
    for w in weeks:
        if not w.counts.runs:
            continue
        acted = learning.week(w.channel_id, week.start, until)
        # What was learned is worked out only where learning acted this week: it reads the channel's outcomes.
        kinds = learning.kinds(w.channel_id, policy.providers[0], until) if acted.acted else []
        learned = tuple(kind_line(kind, policy) for kind in kinds)
        digests.append(
            build_digest(
                w, week, policy, options, until=until, premium=premium, learning=acted, learned=learned
            )
        )
    return digests


def build_digest(
    data: ChannelWeek,
    week: Week,
    policy: Policy,
    options: DigestOptions,
    *,
    until: float,
    premium: Mapping[str, ModelRates],
    learning: LearningWeek | None = None,
    learned: tuple[str, ...] = (),
) -> Digest:
    counts = data.counts
    summary = Summary(
        spend_nanousd=sum(x.cost_nanousd for x in data.lanes),
        unknown_runs=sum(x.unknown_runs for x in data.lanes),
        runs=counts.runs,
        requests=counts.requests,
        escalated_requests=counts.escalated,
    )
    lanes = _ranked(
        Share(x.lane, _lane_title(policy, x.lane), x.runs, x.cost_nanousd, x.unknown_runs) for x in data.lanes
    )
    models = _merged(
        Share(
            _model_label(x.model, x.effort),
            _model_label(x.model, x.effort),
            x.runs,
            x.cost_nanousd,
            x.unknown_runs,
        )
        for x in data.models
    )
    succeeded = sum(x.runs for x in data.lanes)
    repriced = reprice(data.token_groups, premium)
    comparison = PremiumComparison(
        repriced.premium_nanousd, repriced.actual_nanousd, repriced.runs, succeeded - repriced.runs
    )
    prior, previous = None, data.before
    if previous is not None:
        prior = Summary(
            previous.cost_nanousd, previous.unknown_runs, previous.runs, previous.requests, previous.escalated
        )
    users = _ranked(Share(u.user_id, u.user_id, u.runs, u.cost_nanousd, u.unknown_runs) for u in data.users)
    return Digest(
        channel_id=data.channel_id,
        week=week,
        tz=options.tz,
        until=until,
        summary=summary,
        lanes=lanes,
        models=models,
        paths=_paths(data),
        reasons=_reasons(data),
        average=Average(
            _divide(summary.spend_nanousd, counts.requests) if counts.requests else 0,
            at_least=summary.unknown_runs > 0,
        ),
        premium=comparison,
        previous=prior,
        days=_days(data, week, policy, options.tz),
        users=users if options.show_users else (),
        suggestion=suggest(summary, lanes, data, policy),
        helpful=tuple(
            HelpfulRate(v.lane, _lane_title(policy, v.lane), v.helpful, v.votes)
            for v in sorted(data.votes, key=lambda v: _lane_order(policy, v.lane))
        ),
        learning=learning if learning is not None and learning.acted else None,
        learned=learned,
    )


# --- figures -------------------------------------------------------------------------------------------
def _ranked(shares: Iterable[Share]) -> tuple[Share, ...]:
    return tuple(sorted(shares, key=lambda s: (-s.spend_nanousd, -s.runs, s.label)))


def _merged(shares: Iterable[Share]) -> tuple[Share, ...]:
    """Shares with the same key added up: one line per model label."""
    by_key: dict[str, Share] = {}
    for s in shares:
        had = by_key.get(s.key)
        by_key[s.key] = (
            s
            if had is None
            else Share(
                s.key,
                s.label,
                had.runs + s.runs,
                had.spend_nanousd + s.spend_nanousd,
                had.unknown_runs + s.unknown_runs,
            )
        )
    return _ranked(by_key.values())


def _paths(data: ChannelWeek) -> tuple[PathCount, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    for e in data.paths:
        counts[(_model_label(e.from_model, e.from_effort), _model_label(e.to_model, e.to_effort))] += e.count
    return tuple(PathCount(a, b, n) for (a, b), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _reasons(data: ChannelWeek) -> tuple[ReasonCount, ...]:
    ordered = sorted(data.reasons, key=lambda r: (-r.count, r.reason or "~"))
    return tuple(
        ReasonCount(r.reason, REASONS.get(r.reason, r.reason) if r.reason else "No reason given", r.count)
        for r in ordered
    )


def _days(data: ChannelWeek, week: Week, policy: Policy, tz: str) -> tuple[DayBar, ...]:
    order = sorted({d.lane for d in data.days}, key=lambda lane: _lane_order(policy, lane))
    spend = {(d.day, d.lane): d.cost_nanousd for d in data.days}
    zone = ZoneInfo(tz)
    return tuple(
        DayBar(
            f"{DAY_NAMES[day]} {datetime.fromtimestamp(start, zone).day}",
            tuple((lane, spend.get((day, lane), 0)) for lane in order),
        )
        for day, start in enumerate(day_starts(week, tz))
    )


def day_starts(week: Week, tz: str) -> tuple[float, ...]:
    """The seven local midnights of the week (a DST week has a 23- or 25-hour day)."""
    zone = ZoneInfo(tz)
    monday = datetime.fromtimestamp(week.start, zone).date()
    days = (monday + timedelta(days=i) for i in range(7))
    return tuple(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() for d in days)


@lru_cache(maxsize=256)
def _model_label(model: str, effort: str | None) -> str:
    return ModelChoice("", model, effort).label


def _lane_title(policy: Policy, lane: str) -> str:
    return policy.lanes[lane].title if lane in policy.lanes else lane


def _lane_order(policy: Policy, lane: str) -> tuple[int, str]:
    return (policy.lanes[lane].rung if lane in policy.lanes else 99, lane)


def _divide(amount: int, count: int) -> int:
    return (amount + count // 2) // count


# --- the suggestion ------------------------------------------------------------------------------------
def suggest(summary: Summary, lanes: tuple[Share, ...], data: ChannelWeek, policy: Policy) -> str | None:
    """At most one concrete suggestion, and only when the week's numbers are enough to support it."""
    candidates = []
    for x in data.lanes:
        lane = policy.lanes.get(x.lane)
        if lane is None or lane.escalates_to is None or x.first_runs < SUGGEST_MIN_REQUESTS:
            continue
        # Escalations of this period's first runs on the lane; both providers' buttons may be pressed on one.
        escalated = min(data.escalated_first_runs.get(x.lane, 0), x.first_runs)
        if escalated / x.first_runs >= SUGGEST_ESCALATION_RATE:
            candidates.append((escalated / x.first_runs, x.first_runs, escalated, x.lane, lane.escalates_to))
    if candidates:
        rate, total, count, lane_id, target = max(candidates)
        return (
            f"Tasks routed to {lane_id} were escalated {rate:.0%} of the time in this channel "
            f"({count} of {total}): consider starting them at {target}."
        )
    roles = policy.roles
    top = next((s for s in lanes if s.key == roles.last_resort), None)
    spend = summary.spend_nanousd
    if top and spend and top.runs >= 3 and top.spend_nanousd / spend >= SUGGEST_MAX_SHARE:
        share = top.spend_nanousd / spend
        return (
            f"The {roles.last_resort} lane took {share:.0%} of this channel's spend ({top.runs} runs). "
            f"It is a last resort: try {roles.premium} first and step up only when {roles.premium} fails."
        )
    if summary.unknown_runs:
        unpriced = sorted({m.model for m in data.models if m.unknown_runs})
        return (
            f"{summary.unknown_runs} runs used models with no price in the routing policy "
            f"({', '.join(unpriced[:3])}), so the spend leaves them out: add their prices to the policy."
        )
    return None
