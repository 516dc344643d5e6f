"""The weekly digest of one channel: its figures, one suggestion, and a plain-text rendering for the CLI.

`build_digest` is a pure function of the aggregates storage/digests.py returns and the policy;
`compute_digests` fetches those aggregates. Money stays integer nano-dollars, and runs whose price is
unknown are counted apart, never added in as $0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from commands.policy import ModelChoice, Policy
from commands.pricing import usd
from commands.reprice import premium_rules
from commands.runs import REASONS
from commands.weeks import Week
from storage.db import Database
from storage.digests import ChannelWeek, Period, SpendGroup, Totals, active_channels, period_totals, week_activity

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
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
    nanousd: int | None  # None when no request has a fully known price
    requests: int  # the requests it is taken over
    excluded: int  # requests left out because one of their runs has an unknown price


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
    channels: Sequence[str] | None = None,
) -> list[Digest]:
    """The digest of every channel with runs in `week` (or of `channels` that had any), by channel id.

    With `now` inside the week the figures stop at `now`, and are compared with the week before up to the
    same point, so a Wednesday view is not set against a whole week.
    """
    until = week.end if now is None or now >= week.end else now
    names = list(channels) if channels is not None else active_channels(database, week.start, until)
    period = Period(week.start, until, day_starts(week, options.tz)[1:])
    weeks = [w for w in week_activity(database, names, period, premium_rules(policy), users=options.show_users,
                                      workers=options.workers) if w.counts.runs]
    before = week.previous(options.tz)
    before_until = before.end if until >= week.end else before.start + (until - week.start)
    totals = period_totals(database, [w.channel_id for w in weeks], before.start, before_until)
    return [build_digest(w, week, policy, options, previous=totals.get(w.channel_id), until=until) for w in weeks]


def build_digest(
    data: ChannelWeek, week: Week, policy: Policy, options: DigestOptions, *, previous: Totals | None,
    until: float,
) -> Digest:
    counts = data.counts
    summary = Summary(
        spend_nanousd=sum(g.cost_nanousd for g in data.spend),
        unknown_runs=sum(g.runs for g in data.spend if not g.price_known),
        runs=counts.runs,
        requests=counts.requests,
        escalated_requests=counts.escalated,
    )
    lanes = _shares(data.spend, lambda g: (g.lane, _lane_title(policy, g.lane)))
    priced = counts.requests - counts.with_unknown_price
    priced_cost = summary.spend_nanousd - counts.with_unknown_cost_nanousd
    prior = None
    if previous is not None:
        prior = Summary(previous.cost_nanousd, previous.unknown_runs, previous.runs, previous.requests,
                        previous.escalated)
    users = tuple(sorted((Share(u.user_id, u.user_id, u.runs, u.cost_nanousd, u.unknown_runs) for u in data.users),
                         key=lambda s: (-s.spend_nanousd, -s.runs, s.key)))
    return Digest(
        channel_id=data.channel_id, week=week, tz=options.tz, until=until, summary=summary, lanes=lanes,
        models=_shares(data.spend, lambda g: (_model_label(g.model, g.effort),) * 2),
        paths=_paths(data), reasons=_reasons(data),
        average=Average(_divide(priced_cost, priced) if priced else None, priced, counts.with_unknown_price),
        premium=_premium(data.spend), previous=prior, days=_days(data, week, policy, options.tz),
        users=users if options.show_users else (), suggestion=suggest(summary, lanes, data, policy),
    )


# --- figures -------------------------------------------------------------------------------------------
def _shares(groups: Sequence[SpendGroup], key_of) -> tuple[Share, ...]:  # type: ignore[no-untyped-def]
    runs: Counter[tuple[str, str]] = Counter()
    spend: Counter[tuple[str, str]] = Counter()
    unknown: Counter[tuple[str, str]] = Counter()
    for g in groups:
        key = key_of(g)
        runs[key] += g.runs
        spend[key] += g.cost_nanousd
        unknown[key] += 0 if g.price_known else g.runs
    shares = [Share(k, label, runs[(k, label)], spend[(k, label)], unknown[(k, label)]) for k, label in runs]
    return tuple(sorted(shares, key=lambda s: (-s.spend_nanousd, -s.runs, s.label)))


def _premium(groups: Sequence[SpendGroup]) -> PremiumComparison:
    compared = [g for g in groups if g.price_known and g.repriced]
    return PremiumComparison(
        premium_nanousd=sum(g.premium_nanousd for g in compared),
        actual_nanousd=sum(g.cost_nanousd for g in compared),
        compared_runs=sum(g.runs for g in compared),
        excluded_runs=sum(g.runs for g in groups) - sum(g.runs for g in compared),
    )


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
    return tuple(ReasonCount(r, REASONS.get(r, r) if r else "No reason given", n) for r, n in ordered)


def _days(data: ChannelWeek, week: Week, policy: Policy, tz: str) -> tuple[DayBar, ...]:
    order = sorted({g.lane for g in data.spend}, key=lambda lane: _lane_order(policy, lane))
    spend: Counter[tuple[int, str]] = Counter()
    for g in data.spend:
        spend[(g.day, g.lane)] += g.cost_nanousd
    zone = ZoneInfo(tz)
    return tuple(
        DayBar(f"{DAY_NAMES[day]} {datetime.fromtimestamp(start, zone).day}",
               tuple((lane, spend[(day, lane)]) for lane in order))
        for day, start in enumerate(day_starts(week, tz))
    )


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
    for s in data.starts:
        lane = policy.lanes.get(s.lane)
        if lane is None or lane.escalates_to is None or s.requests < SUGGEST_MIN_REQUESTS:
            continue
        if s.escalated / s.requests >= SUGGEST_ESCALATION_RATE:
            candidates.append((s.escalated / s.requests, s.requests, s.escalated, s.lane, lane.escalates_to))
    if candidates:
        rate, total, escalated, lane_id, target = max(candidates)
        return (f"Tasks routed to {lane_id} were escalated {rate:.0%} of the time in this channel "
                f"({escalated} of {total}): consider starting them at {target}.")
    top = next((s for s in lanes if s.key == "max"), None)
    spend = summary.spend_nanousd
    if top and spend and top.runs >= 3 and top.spend_nanousd / spend >= SUGGEST_MAX_SHARE:
        return (f"The max lane took {top.spend_nanousd / spend:.0%} of this channel's spend ({top.runs} runs). "
                "It is a last resort: try premium first and step up only when premium fails.")
    if summary.unknown_runs:
        unpriced = sorted({g.model for g in data.spend if not g.price_known})
        return (f"{summary.unknown_runs} runs used models with no price in the routing policy "
                f"({', '.join(unpriced[:3])}), so the spend leaves them out: add their prices to the policy.")
    return None


# --- words, shared by the CLI text and the Block Kit message ---------------------------------------------
def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def period_label(digest: Digest) -> str:
    """`2026-W10, Mon 2 Mar – Sun 8 Mar 2026 (UTC)`, or up to now for a week so far."""
    zone = ZoneInfo(digest.tz)
    first = datetime.fromtimestamp(digest.week.start, zone)
    if digest.so_far:
        last = datetime.fromtimestamp(digest.until, zone)
        return f"{digest.week.label}, {first:%a %-d %b} – {last:%a %-d %b %H:%M} ({digest.tz}), so far"
    last = datetime.fromtimestamp(digest.week.end - 1, zone)
    return f"{digest.week.label}, {first:%a %-d %b} – {last:%a %-d %b %Y} ({digest.tz})"


def headline(digest: Digest) -> str:
    s = digest.summary
    return f"{usd(s.spend_nanousd)} on {s.requests} request{_s(s.requests)} ({s.runs} run{_s(s.runs)})"


def escalation_line(digest: Digest) -> str:
    s = digest.summary
    return f"{percent(s.escalation_rate)} of requests escalated ({s.escalated_requests} of {s.requests})"


def average_line(digest: Digest) -> str:
    a = digest.average
    if a.nanousd is None:
        return "unknown: every request had a run of unknown price"
    left_out = f"; {a.excluded} with a run of unknown price left out" if a.excluded else ""
    return f"{usd(a.nanousd)} per request (over {a.requests}{left_out})"


def premium_line(digest: Digest) -> str:
    p = digest.premium
    if not p.compared_runs:
        return "no run could be re-priced on the premium lane"
    saving = p.saving_nanousd
    verdict = f"saved {usd(saving)}" if saving >= 0 else f"cost {usd(-saving)} more than premium would have"
    excluded = f"; {p.excluded_runs} run{_s(p.excluded_runs)} of unknown price left out" if p.excluded_runs else ""
    return f"{usd(p.premium_nanousd)} on premium vs {usd(p.actual_nanousd)} actual: {verdict}{excluded}"


def change_lines(digest: Digest) -> list[str]:
    before, now = digest.previous, digest.summary
    if before is None:
        return ["no runs " + ("at this point last week" if digest.so_far else "the week before")]
    if before.spend_nanousd:
        change = (now.spend_nanousd - before.spend_nanousd) / before.spend_nanousd
        spend = f"spend {usd(before.spend_nanousd)} → {usd(now.spend_nanousd)} ({change:+.0%})"
    else:
        spend = f"spend {usd(before.spend_nanousd)} → {usd(now.spend_nanousd)}"
    return [spend, f"requests {before.requests} → {now.requests}",
            f"escalation rate {percent(before.escalation_rate)} → {percent(now.escalation_rate)}"]


def share_line(share: Share) -> str:
    unknown = f", {share.unknown_runs} of unknown price" if share.unknown_runs else ""
    return f"{usd(share.spend_nanousd)} ({share.runs} run{_s(share.runs)}{unknown})"


def render_text(digest: Digest, top: int = 5) -> str:
    """The digest as plain text for `routebot digest`."""
    s = digest.summary
    lines = [f"#{digest.channel_id} · {period_label(digest)}", f"Spend: {headline(digest)}"]
    if s.unknown_runs:
        lines.append(f"Unknown price: {s.unknown_runs} run{_s(s.unknown_runs)}, not included in the spend")
    lines.append("By lane: " + "; ".join(f"{x.label} {share_line(x)}" for x in digest.lanes[:top]))
    lines.append("By model: " + "; ".join(f"{x.label} {share_line(x)}" for x in digest.models[:top]))
    lines.append(f"Escalation: {escalation_line(digest)}")
    lines += [f"  {p.from_label} -> {p.to_label} x{p.count}" for p in digest.paths[:top]]
    if digest.reasons:
        lines.append("  reasons: " + ", ".join(f"{r.label.lower()} x{r.count}" for r in digest.reasons[:3]))
    lines.append(f"Average: {average_line(digest)}")
    lines.append(f"Premium lane: {premium_line(digest)}")
    lines.append("Vs the week before: " + "; ".join(change_lines(digest)))
    if digest.users:
        lines.append("By person: " + "; ".join(f"{u.key} {share_line(u)}" for u in digest.users[:top]))
    lines.append("Per day: " + "; ".join(f"{d.label} {usd(d.spend_nanousd)}" for d in digest.days))
    if digest.suggestion:
        lines.append(f"Suggestion: {digest.suggestion}")
    return "\n".join(lines)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
