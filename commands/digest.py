"""The weekly digest of one channel: figures, one suggestion, and a plain-text rendering for the CLI.

Everything here is a pure function of aggregated rows (storage/digests.py) and the policy, except
`compute_digests`, which fetches those rows. Money stays integer nano-dollars; runs whose price is unknown
are counted apart and never added in as $0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commands.bulk_pricing import premium_cost, premium_thresholds
from commands.policy import ModelChoice, Policy
from commands.runs import REASONS
from commands.weeks import Week
from storage.db import Database
from storage.digests import ChannelWeek, RunGroup, WeekTotals, week_activity, week_totals

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP = 5  # rows per list: enough to act on, short enough for a phone
SUGGEST_MIN_REQUESTS = 10  # fewer requests than this in a lane say nothing reliable
SUGGEST_ESCALATION_RATE = 0.30
SUGGEST_MAX_SHARE = 0.25


@dataclass(frozen=True)
class DigestOptions:
    tz: str = "UTC"
    show_users: bool = False


@dataclass(frozen=True)
class Summary:
    spend_nanousd: int  # succeeded runs with a known price
    unknown_runs: int  # succeeded runs whose price is unknown
    runs: int  # every run created in the period, whatever its status
    succeeded: int
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
    nanousd: int | None  # None when no request has a fully known price
    requests: int  # requests it is taken over
    excluded: int  # requests left out: one of their runs has an unknown price


@dataclass(frozen=True)
class PremiumComparison:
    """The same succeeded runs re-priced on the premium lane's model for their provider."""

    premium_nanousd: int
    actual_nanousd: int
    compared_runs: int
    excluded_runs: int  # the actual price or the re-price is unknown

    @property
    def saving_nanousd(self) -> int:
        return self.premium_nanousd - self.actual_nanousd


@dataclass(frozen=True)
class DayBar:
    label: str  # "Mon 2"
    lanes: tuple[tuple[str, int], ...]  # (lane id, known spend), in ladder order
    unknown_runs: int

    @property
    def spend_nanousd(self) -> int:
        return sum(cost for _, cost in self.lanes)


@dataclass(frozen=True)
class Digest:
    channel_id: str
    week: Week
    tz: str
    until: float  # end of the figures: week.end, or `now` for the week so far
    summary: Summary
    lanes: tuple[Share, ...]
    models: tuple[Share, ...]
    paths: tuple[PathCount, ...]
    reasons: tuple[ReasonCount, ...]
    average: Average
    premium: PremiumComparison
    previous: Summary | None  # the week before (up to the same point, for a week so far); None: no runs
    days: tuple[DayBar, ...]
    users: tuple[Share, ...]  # empty unless ROUTEBOT_DIGEST_SHOW_USERS is on
    suggestion: str | None

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
    channel: str | None = None,
) -> list[Digest]:
    """Every channel's digest for `week` (or only `channel`'s); channels without runs get none.

    With `now` inside the week, the figures stop at `now` and are compared with the previous week up to the
    same point, so a Wednesday view is not set against a whole week.
    """
    until = week.end if now is None or now >= week.end else now
    activity = week_activity(database, week.start, until, day_starts=day_starts(week, options.tz)[1:],
                             long_context_above=premium_thresholds(policy), channel=channel,
                             users=options.show_users)
    before = week.previous(options.tz)
    before_until = before.end if until >= week.end else before.start + (until - week.start)
    totals = week_totals(database, before.start, before_until, channel) if activity else {}
    return [build_digest(activity[c], week, policy, options, previous=totals.get(c), until=until)
            for c in sorted(activity)]


def build_digest(
    data: ChannelWeek, week: Week, policy: Policy, options: DigestOptions, *, previous: WeekTotals | None,
    until: float,
) -> Digest:
    succeeded = [g for g in data.groups if g.status == "succeeded"]
    summary = Summary(
        spend_nanousd=sum(g.cost_nanousd for g in succeeded),
        unknown_runs=sum(g.runs for g in succeeded if g.price_known != 1),
        runs=sum(g.runs for g in data.groups),
        succeeded=sum(g.runs for g in succeeded),
        requests=sum(r.requests for r in data.requests),
        escalated_requests=sum(r.escalated for r in data.requests),
    )
    lanes = _shares(succeeded, lambda g: (g.lane, _lane_title(policy, g.lane)))
    models = _shares(succeeded, lambda g: (g.model, _model_label(g.model, g.effort)))
    priced = sum(r.requests - r.with_unknown_price for r in data.requests)
    cost = sum(r.priced_cost_nanousd for r in data.requests)
    average = Average(_divide(cost, priced) if priced else None, priced, summary.requests - priced)
    prior = None
    if previous is not None:
        prior = Summary(previous.cost_nanousd, previous.unknown_runs, previous.runs, previous.succeeded,
                        previous.requests, previous.escalated_requests)
    users = tuple(sorted(
        (Share(u.user_id, u.user_id, u.runs, u.cost_nanousd, u.unknown_runs) for u in data.users),
        key=lambda s: (-s.spend_nanousd, -s.runs, s.key)))
    return Digest(
        channel_id=data.channel_id, week=week, tz=options.tz, until=until, summary=summary, lanes=lanes,
        models=models, paths=_paths(data), reasons=_reasons(data), average=average,
        premium=premium_comparison(policy, succeeded), previous=prior,
        days=_days(data, week, policy, options.tz), users=users if options.show_users else (),
        suggestion=suggest(summary, lanes, data, policy),
    )


# --- figures -------------------------------------------------------------------------------------------
def _shares(groups: list[RunGroup], key_of) -> tuple[Share, ...]:  # type: ignore[no-untyped-def]
    runs: Counter[tuple[str, str]] = Counter()
    spend: Counter[tuple[str, str]] = Counter()
    unknown: Counter[tuple[str, str]] = Counter()
    for g in groups:
        key = key_of(g)
        runs[key] += g.runs
        spend[key] += g.cost_nanousd
        unknown[key] += g.runs if g.price_known != 1 else 0
    shares = [Share(k, label, runs[(k, label)], spend[(k, label)], unknown[(k, label)]) for k, label in runs]
    return tuple(sorted(shares, key=lambda s: (-s.spend_nanousd, -s.runs, s.label)))


def _paths(data: ChannelWeek) -> tuple[PathCount, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    for e in data.escalations:
        counts[(_model_label(e.from_model, e.from_effort), _model_label(e.to_model, e.to_effort))] += e.count
    return tuple(PathCount(a, b, n) for (a, b), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _reasons(data: ChannelWeek) -> tuple[ReasonCount, ...]:
    counts: Counter[str | None] = Counter()
    for e in data.escalations:
        counts[e.reason] += e.count
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or "~"))
    return tuple(ReasonCount(r, REASONS.get(r or "", "No reason given") if r else "No reason given", n)
                 for r, n in ordered)


def _days(data: ChannelWeek, week: Week, policy: Policy, tz: str) -> tuple[DayBar, ...]:
    order = sorted({d.lane for d in data.days}, key=lambda lane: _lane_order(policy, lane))
    spend: dict[tuple[int, str], int] = {}
    unknown: Counter[int] = Counter()
    for d in data.days:
        spend[(d.day, d.lane)] = spend.get((d.day, d.lane), 0) + d.cost_nanousd
        unknown[d.day] += d.unknown_runs
    zone = ZoneInfo(tz)
    bars = []
    for day, start in enumerate(day_starts(week, tz)):
        local = datetime.fromtimestamp(start, zone)
        lanes = tuple((lane, spend.get((day, lane), 0)) for lane in order)
        bars.append(DayBar(f"{DAY_NAMES[day]} {local.day}", lanes, unknown[day]))
    return tuple(bars)


def premium_comparison(policy: Policy, succeeded: list[RunGroup]) -> PremiumComparison:
    premium = actual = compared = excluded = 0
    for g in succeeded:
        cost = premium_cost(policy, g) if g.price_known == 1 else None
        if cost is None:
            excluded += g.runs
            continue
        premium += cost
        actual += g.cost_nanousd
        compared += g.runs
    return PremiumComparison(premium, actual, compared, excluded)


def day_starts(week: Week, tz: str) -> tuple[float, ...]:
    """The seven local midnights of the week (a DST week has a 23- or 25-hour day)."""
    zone = ZoneInfo(tz)
    monday = datetime.fromtimestamp(week.start, zone).date()
    days = (monday + timedelta(days=i) for i in range(7))
    return tuple(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() for d in days)


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
    for r in data.requests:
        lane = policy.lanes.get(r.lane)
        if lane is None or lane.escalates_to is None or r.requests < SUGGEST_MIN_REQUESTS:
            continue
        rate = r.escalated / r.requests
        if rate >= SUGGEST_ESCALATION_RATE:
            candidates.append((rate, r.requests, r.escalated, r.lane, lane.escalates_to))
    if candidates:
        rate, total, escalated, lane_id, target = max(candidates)
        return (f"Tasks routed to {lane_id} were escalated {rate:.0%} of the time in this channel "
                f"({escalated} of {total}): consider starting them at {target}.")
    spend = summary.spend_nanousd
    top = next((s for s in lanes if s.key == "max"), None)
    if top and spend and top.runs >= 3 and top.spend_nanousd / spend >= SUGGEST_MAX_SHARE:
        share = top.spend_nanousd / spend
        return (f"The max lane took {share:.0%} of this channel's spend ({top.runs} runs). "
                "It is a last resort: try premium first and step up only when premium fails.")
    if summary.unknown_runs:
        unpriced = sorted({g.model for g in data.groups if g.status == "succeeded" and g.price_known != 1})
        return (f"{summary.unknown_runs} runs used models with no price in the routing policy "
                f"({', '.join(unpriced[:3])}), so the spend leaves them out: add their prices to the policy.")
    return None
