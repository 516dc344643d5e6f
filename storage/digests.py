"""Digest figures from storage: one week's runs of each channel, aggregated in SQL.

A week's runs never come into Python one by one. Each channel's figures are a handful of aggregate queries
over its slice of the covering index runs_digest (channel_id, created_at, ...): an index range per channel,
no table lookups, and sorts of one channel's rows rather than of the whole week, which is what keeps a
million runs under two seconds (bench/digest.py). Channels are spread over a few threads, each with its
own connection (SQLite releases the GIL while it steps). These are raw queries on purpose: aggregates,
a recursive skip-scan and a self-join, none of which sqlite-utils' table API expresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from storage.db import Database
from storage.repricing import SizeBands, TokenGroup, token_groups


@dataclass(frozen=True)
class LaneSpend:
    """Succeeded runs on one lane."""

    lane: str
    runs: int
    cost_nanousd: int  # runs of known price only
    unknown_runs: int  # runs whose price is unknown
    first_runs: int  # runs that began their request (not escalations): where tasks were started


@dataclass(frozen=True)
class ModelSpend:
    model: str
    effort: str | None
    runs: int
    cost_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class DaySpend:
    day: int  # 0 = the week's Monday
    lane: str
    cost_nanousd: int


@dataclass(frozen=True)
class Counts:
    runs: int  # every run, whatever its status
    requests: int  # requests with a run in the period
    escalated: int  # of those, requests with an escalated run in the period


@dataclass(frozen=True)
class EscalationPath:
    from_model: str
    from_effort: str | None
    to_model: str
    to_effort: str | None
    count: int


@dataclass(frozen=True)
class EscalationReason:
    reason: str | None
    count: int


@dataclass(frozen=True)
class UserSpend:
    user_id: str
    runs: int  # succeeded
    cost_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class Totals:
    runs: int
    cost_nanousd: int
    unknown_runs: int
    requests: int
    escalated: int


@dataclass(frozen=True)
class LaneVotes:
    """Feedback on the runs of one lane: people's helpful / not helpful votes, latest vote each."""

    lane: str
    helpful: int
    votes: int


@dataclass(frozen=True)
class ChannelWeek:
    """Everything one channel's digest is computed from."""

    channel_id: str
    counts: Counts
    lanes: tuple[LaneSpend, ...]
    models: tuple[ModelSpend, ...]
    days: tuple[DaySpend, ...]
    paths: tuple[EscalationPath, ...]
    reasons: tuple[EscalationReason, ...]
    escalated_first_runs: dict[str, int]  # lane -> escalations from runs that began their request this period
    users: tuple[UserSpend, ...]  # the biggest spenders, when asked for
    before: Totals | None  # the span compared with, when asked for and it had runs
    token_groups: tuple[TokenGroup, ...] = ()  # the succeeded runs of known price, for re-pricing
    votes: tuple[LaneVotes, ...] = ()  # feedback on this period's runs, by lane


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    day_starts: tuple[float, ...] = ()  # local midnights after the first day, for the per-day figures


_RANGE = "channel_id = ? AND created_at >= ? AND created_at < ?"
_KNOWN = "CASE WHEN status = 'succeeded' AND price_known = 1 THEN cost_nanousd ELSE 0 END"
_UNKNOWN = "(status = 'succeeded' AND COALESCE(price_known, 0) = 0)"
_ESCALATED_REQUEST = "COUNT(DISTINCT CASE WHEN escalated_from IS NOT NULL THEN request_id END)"
_PARALLEL_FROM = 64  # channels; fewer are done on the caller's thread


def active_channels(database: Database, start: float, end: float) -> list[str]:
    """Channels with a run created in [start, end): a skip-scan over the index, one probe per channel."""
    rows = database.conn.execute(
        "WITH RECURSIVE ch(id) AS (SELECT MIN(channel_id) FROM runs UNION ALL"
        " SELECT (SELECT MIN(channel_id) FROM runs WHERE channel_id > ch.id) FROM ch WHERE ch.id IS NOT NULL)"
        " SELECT id FROM ch WHERE id IS NOT NULL AND EXISTS"
        " (SELECT 1 FROM runs WHERE channel_id = ch.id AND created_at >= ? AND created_at < ?)",
        (start, end),
    )
    return [r[0] for r in rows]


def week_activity(
    database: Database,
    channels: Sequence[str],
    period: Period,
    bands: Sequence[SizeBands],
    *,
    before: tuple[float, float] | None = None,
    users: int = 0,
    workers: int = 2,
) -> list[ChannelWeek]:
    """The aggregates of each channel's runs created in the period, in the order of `channels`.

    `before` is the span to compare with (the week before); `users` is how many of the biggest spenders to
    return (0: none); `bands` say how to group the runs of known price for re-pricing (storage/repricing.py).
    A channel without runs in the period comes back with counts.runs == 0 and nothing else.
    """

    def one(channel: str) -> ChannelWeek:
        return _channel_week(database.conn, channel, period, bands, before, users)

    if workers <= 1 or len(channels) < _PARALLEL_FROM:
        return [one(c) for c in channels]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="routebot-digest") as pool:
        return list(pool.map(one, channels))


def _channel_week(
    conn: Any,
    channel: str,
    period: Period,
    bands: Sequence[SizeBands],
    before: tuple[float, float] | None,
    users: int,
) -> ChannelWeek:
    span = (channel, period.start, period.end)
    runs, requests, escalated = conn.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT request_id), {_ESCALATED_REQUEST} FROM runs WHERE {_RANGE}", span
    ).fetchone()
    if not runs:
        return ChannelWeek(channel, Counts(0, 0, 0), (), (), (), (), (), {}, (), None)
    lanes, models, days = _spend(conn, span, period)
    paths, reasons, from_first = _escalations(conn, span)
    spenders: tuple[UserSpend, ...] = ()
    if users:
        spenders = tuple(
            UserSpend(*r)
            for r in conn.execute(
                f"SELECT user_id, COUNT(*), SUM({_KNOWN}) AS spend, SUM({_UNKNOWN}) FROM runs"
                f" WHERE {_RANGE} AND status = 'succeeded' GROUP BY 1 ORDER BY spend DESC, 2 DESC, 1 LIMIT ?",
                (*span, users),
            )
        )
    return ChannelWeek(
        channel_id=channel,
        counts=Counts(runs, requests, escalated),
        lanes=tuple(LaneSpend(lane, *v) for lane, v in lanes.items()),
        models=tuple(ModelSpend(model, effort, *v) for (model, effort), v in models.items()),
        days=tuple(DaySpend(d, lane, cost) for (d, lane), cost in days.items()),
        paths=paths,
        reasons=reasons,
        escalated_first_runs=from_first,
        users=spenders,
        before=_totals(conn, channel, *before) if before else None,
        token_groups=token_groups(conn, _RANGE, span, bands),
        votes=tuple(
            LaneVotes(*row)
            for row in conn.execute(
                "SELECT runs.lane, SUM(feedback.helpful), COUNT(*) FROM feedback"
                " JOIN runs ON runs.id = feedback.run_id WHERE runs.channel_id = ? AND runs.created_at >= ?"
                " AND runs.created_at < ? GROUP BY runs.lane ORDER BY runs.lane",
                span,
            )
        ),
    )


def _spend(
    conn: Any, span: tuple[str, float, float], period: Period
) -> tuple[dict[str, list[int]], dict[tuple[str, str | None], list[int]], dict[tuple[int, str], int]]:
    """Succeeded runs by lane [runs, cost, unknown, first runs], by model [runs, cost, unknown], by day."""
    day, day_params = _day_expression(period)
    lanes: dict[str, list[int]] = {}
    models: dict[tuple[str, str | None], list[int]] = {}
    days: dict[tuple[int, str], int] = {}
    for d, lane, model, effort, known, first, count, cost in conn.execute(
        f"SELECT {day}, lane, model, effort, price_known = 1, escalated_from IS NULL, COUNT(*),"
        f" SUM(cost_nanousd) FROM runs WHERE {_RANGE} AND status = 'succeeded' GROUP BY 1, 2, 3, 4, 5, 6",
        (*day_params, *span),
    ):  # up to a few hundred rows per channel: kept to plain additions
        cost, unknown = (cost or 0, 0) if known else (0, count)
        totals = lanes.get(lane) or lanes.setdefault(lane, [0, 0, 0, 0])
        totals[0] += count
        totals[1] += cost
        totals[2] += unknown
        totals[3] += count if first else 0
        totals = models.get((model, effort)) or models.setdefault((model, effort), [0, 0, 0])
        totals[0] += count
        totals[1] += cost
        totals[2] += unknown
        days[(d, lane)] = days.get((d, lane), 0) + cost
    return lanes, models, days


def _escalations(
    conn: Any, span: tuple[str, float, float]
) -> tuple[tuple[EscalationPath, ...], tuple[EscalationReason, ...], dict[str, int]]:
    paths: dict[tuple[str, str | None, str, str | None], int] = {}
    reasons: dict[str | None, int] = {}
    from_first: dict[str, int] = {}
    # Attempt 1 only: a retry of an escalated run carries the same escalated_from and is no new escalation.
    for from_model, from_effort, from_lane, first, to_model, to_effort, reason, count in conn.execute(
        "SELECT p.model, p.effort, p.lane,"
        " p.escalated_from IS NULL AND p.status = 'succeeded' AND p.created_at >= ?,"
        " e.model, e.effort, e.escalation_reason, COUNT(*)"
        " FROM runs AS e JOIN runs AS p ON p.id = e.escalated_from WHERE e.channel_id = ?"
        " AND e.created_at >= ? AND e.created_at < ? AND e.escalated_from IS NOT NULL AND e.attempt = 1"
        " GROUP BY 1, 2, 3, 4, 5, 6, 7",
        (span[1], *span),
    ):
        key = (from_model, from_effort, to_model, to_effort)
        paths[key] = paths.get(key, 0) + count
        reasons[reason] = reasons.get(reason, 0) + count
        if first:
            from_first[from_lane] = from_first.get(from_lane, 0) + count
    return (
        tuple(EscalationPath(*key, count) for key, count in paths.items()),
        tuple(EscalationReason(reason, count) for reason, count in reasons.items()),
        from_first,
    )


def _totals(conn: Any, channel: str, start: float, end: float) -> Totals | None:
    """Headline figures of [start, end), or None when the channel had no run then."""
    row = conn.execute(
        f"SELECT COUNT(*), COALESCE(SUM({_KNOWN}), 0), COALESCE(SUM({_UNKNOWN}), 0),"
        f" COUNT(DISTINCT request_id), {_ESCALATED_REQUEST} FROM runs WHERE {_RANGE}",
        (channel, start, end),
    ).fetchone()
    return Totals(*row) if row[0] else None


def _day_expression(period: Period) -> tuple[str, tuple[float, ...]]:
    """The day a run falls on: arithmetic when every day has 24 hours, else one test per midnight."""
    starts = (period.start, *period.day_starts)
    if all(b - a == 86_400 for a, b in pairwise(starts)):
        return "CAST((created_at - ?) / 86400 AS INTEGER)", (period.start,)
    return " + ".join(["0", *("(created_at >= ?)" for _ in period.day_starts)]), period.day_starts
