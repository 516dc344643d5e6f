"""Digest storage: one week's runs aggregated in SQL, per channel, and the ledger that posts each digest once.

A week's runs never come into Python one by one: each query is a GROUP BY over the week's time range and
returns a few rows per channel, so a million runs cost a few passes inside SQLite (see tests/bench_digest.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class RunGroup:
    """Runs alike in everything a digest sorts by; the token sums let them be re-priced in bulk."""

    channel_id: str
    lane: str
    provider: str
    model: str
    effort: str | None
    status: str
    price_known: int | None
    long_context: bool  # input above the long-context threshold passed in for this provider
    has_cache_read: bool
    has_cache_write: bool
    input_below_reads: bool  # input_tokens < cache_read_tokens: OpenAI counts that contradict each other
    input_below_reads_and_writes: bool
    runs: int
    cost_nanousd: int  # known cost only: succeeded runs with a price
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


@dataclass(frozen=True)
class RequestGroup:
    """Requests with a run this week, by the lane they were routed to."""

    channel_id: str
    lane: str
    requests: int
    escalated: int  # escalated at least once
    with_unknown_price: int  # had a succeeded run whose price is unknown
    priced_cost_nanousd: int  # known cost of the requests without an unknown price


@dataclass(frozen=True)
class EscalationGroup:
    channel_id: str
    from_model: str
    from_effort: str | None
    to_model: str
    to_effort: str | None
    reason: str | None
    count: int


@dataclass(frozen=True)
class DayLaneSpend:
    channel_id: str
    day: int  # 0 = the week's Monday
    lane: str
    cost_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class UserSpend:
    channel_id: str
    user_id: str
    runs: int  # succeeded
    cost_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class WeekTotals:
    channel_id: str
    runs: int
    succeeded: int
    cost_nanousd: int
    unknown_runs: int
    requests: int
    escalated_requests: int


@dataclass
class ChannelWeek:
    """Everything one channel's digest is computed from."""

    channel_id: str
    groups: list[RunGroup] = field(default_factory=list)
    requests: list[RequestGroup] = field(default_factory=list)
    escalations: list[EscalationGroup] = field(default_factory=list)
    days: list[DayLaneSpend] = field(default_factory=list)
    users: list[UserSpend] = field(default_factory=list)


@dataclass(frozen=True)
class LedgerEntry:
    channel_id: str
    week: str
    status: str  # posting, posted, failed
    attempts: int
    claimed_at: float
    message_ts: str | None
    error: str | None
    updated_at: float


_KNOWN = "CASE WHEN status = 'succeeded' AND price_known = 1 THEN cost_nanousd ELSE 0 END"
_UNKNOWN = "(status = 'succeeded' AND COALESCE(price_known, 0) = 0)"


def _where(start: float, end: float, channel: str | None, prefix: str = "") -> tuple[str, list[Any]]:
    sql = f"{prefix}created_at >= ? AND {prefix}created_at < ?"
    params: list[Any] = [start, end]
    if channel is not None:
        sql += f" AND {prefix}channel_id = ?"
        params.append(channel)
    return sql, params


def active_channels(database: Database, start: float, end: float) -> list[str]:
    """Channels with at least one run created in [start, end)."""
    rows = database.conn.execute(
        "SELECT DISTINCT channel_id FROM runs WHERE created_at >= ? AND created_at < ? ORDER BY channel_id",
        (start, end),
    )
    return [r[0] for r in rows]


def week_activity(
    database: Database,
    start: float,
    end: float,
    *,
    day_starts: Sequence[float],
    long_context_above: Mapping[str, int],
    channel: str | None = None,
    users: bool = False,
) -> dict[str, ChannelWeek]:
    """Aggregates of the runs created in [start, end), per channel (only `channel` when given).

    `day_starts` are the local midnights after the first day, so DST weeks still have seven days;
    `long_context_above` maps a provider to the input size above which its long-context rates apply.
    """
    conn = database.conn
    where, params = _where(start, end, channel)
    out: dict[str, ChannelWeek] = {}

    def bucket(channel_id: str) -> ChannelWeek:
        week = out.get(channel_id)
        if week is None:
            week = out[channel_id] = ChannelWeek(channel_id)
        return week

    long_sql, long_params = _long_context_case(long_context_above)
    rows = conn.execute(
        f"SELECT channel_id, lane, provider, model, effort, status, price_known, {long_sql},"
        " COALESCE(cache_read_tokens, 0) > 0, COALESCE(cache_write_tokens, 0) > 0,"
        " COALESCE(input_tokens, 0) < COALESCE(cache_read_tokens, 0),"
        " COALESCE(input_tokens, 0) < COALESCE(cache_read_tokens, 0) + COALESCE(cache_write_tokens, 0),"
        f" COUNT(*), SUM({_KNOWN}), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
        " COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0)"
        f" FROM runs WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12",
        [*long_params, *params],
    )
    for r in rows:
        bucket(r[0]).groups.append(RunGroup(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[8]), bool(r[9]), bool(r[10]),
            bool(r[11]), r[12], r[13] or 0, r[14], r[15], r[16], r[17]))

    rows = conn.execute(
        "SELECT q.channel_id, req.lane, COUNT(*), SUM(q.escalated), SUM(q.unknown),"
        " SUM(CASE WHEN q.unknown THEN 0 ELSE q.cost END)"
        f" FROM (SELECT channel_id, request_id, MAX(escalated_from IS NOT NULL) AS escalated,"
        f"   MAX({_UNKNOWN}) AS unknown, SUM({_KNOWN}) AS cost"
        f"   FROM runs WHERE {where} GROUP BY channel_id, request_id) AS q"
        " JOIN requests AS req ON req.id = q.request_id GROUP BY q.channel_id, req.lane",
        params,
    )
    for r in rows:
        bucket(r[0]).requests.append(RequestGroup(r[0], r[1], r[2], r[3], r[4], r[5] or 0))

    # Attempt 1 only: a retry of an escalated run carries the same escalated_from and is no new escalation.
    e_where, e_params = _where(start, end, channel, prefix="e.")
    rows = conn.execute(
        "SELECT e.channel_id, p.model, p.effort, e.model, e.effort, e.escalation_reason, COUNT(*)"
        " FROM runs AS e JOIN runs AS p ON p.id = e.escalated_from"
        f" WHERE e.escalated_from IS NOT NULL AND e.attempt = 1 AND {e_where}"
        " GROUP BY 1, 2, 3, 4, 5, 6",
        e_params,
    )
    for r in rows:
        bucket(r[0]).escalations.append(EscalationGroup(*r))

    day_sql = " + ".join(["0", *("(created_at >= ?)" for _ in day_starts)])
    rows = conn.execute(
        f"SELECT channel_id, {day_sql} AS day, lane, SUM({_KNOWN}), SUM({_UNKNOWN})"
        f" FROM runs WHERE status = 'succeeded' AND {where} GROUP BY 1, 2, 3",
        [*day_starts, *params],
    )
    for r in rows:
        bucket(r[0]).days.append(DayLaneSpend(r[0], r[1], r[2], r[3] or 0, r[4] or 0))

    if users:
        rows = conn.execute(
            f"SELECT channel_id, user_id, COUNT(*), SUM({_KNOWN}), SUM({_UNKNOWN})"
            f" FROM runs WHERE status = 'succeeded' AND {where} GROUP BY 1, 2",
            params,
        )
        for r in rows:
            bucket(r[0]).users.append(UserSpend(r[0], r[1], r[2], r[3] or 0, r[4] or 0))
    return out


def week_totals(
    database: Database, start: float, end: float, channel: str | None = None
) -> dict[str, WeekTotals]:
    """Headline figures per channel for [start, end): what this week is compared against."""
    where, params = _where(start, end, channel)
    rows = database.conn.execute(
        f"SELECT channel_id, COUNT(*), SUM(status = 'succeeded'), SUM({_KNOWN}), SUM({_UNKNOWN}),"
        " COUNT(DISTINCT request_id),"
        " COUNT(DISTINCT CASE WHEN escalated_from IS NOT NULL THEN request_id END)"
        f" FROM runs WHERE {where} GROUP BY channel_id",
        params,
    )
    return {r[0]: WeekTotals(r[0], r[1], r[2] or 0, r[3] or 0, r[4] or 0, r[5], r[6]) for r in rows}


def _long_context_case(thresholds: Mapping[str, int]) -> tuple[str, list[Any]]:
    if not thresholds:
        return "0", []
    whens = " ".join("WHEN ? THEN COALESCE(input_tokens, 0) > ?" for _ in thresholds)
    params: list[Any] = []
    for provider, above in sorted(thresholds.items()):
        params += [provider, above]
    return f"CASE provider {whens} ELSE 0 END", params


class DigestLedger:
    """One row per (channel, week): claimed before posting, marked posted or failed after.

    The claim is a read-then-write inside BEGIN IMMEDIATE, so two firings of the job, a startup catch-up and
    an operator's `routebot digest --post` racing for the same digest come down to one winner in SQLite.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def claim(self, channel_id: str, week: str, *, now: float, lease: float, max_attempts: int) -> bool:
        """True when the caller should post now: never posted, failed before, or left by a crash."""
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT status, attempts, claimed_at FROM digest_ledger WHERE channel_id = ? AND week = ?",
                (channel_id, week),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO digest_ledger (channel_id, week, status, attempts, claimed_at, updated_at)"
                    " VALUES (?, ?, 'posting', 1, ?, ?)",
                    (channel_id, week, now, now),
                )
                return True
            status, attempts, claimed_at = row
            if status == "posted" or attempts >= max_attempts:
                return False
            if status == "posting" and now - claimed_at < lease:
                return False  # someone else is posting it right now
            conn.execute(
                "UPDATE digest_ledger SET status = 'posting', attempts = attempts + 1, claimed_at = ?,"
                " updated_at = ? WHERE channel_id = ? AND week = ?",
                (now, now, channel_id, week),
            )
            return True

    def posted(self, channel_id: str, week: str, *, ts: str | None, now: float) -> None:
        self.database.conn.execute(
            "UPDATE digest_ledger SET status = 'posted', message_ts = ?, error = NULL, updated_at = ?"
            " WHERE channel_id = ? AND week = ?",
            (ts, now, channel_id, week),
        )

    def failed(self, channel_id: str, week: str, *, error: str, now: float) -> None:
        self.database.conn.execute(
            "UPDATE digest_ledger SET status = 'failed', error = ?, updated_at = ?"
            " WHERE channel_id = ? AND week = ?",
            (error[:200], now, channel_id, week),
        )

    def entry(self, channel_id: str, week: str) -> LedgerEntry | None:
        row = self.database.conn.execute(
            "SELECT channel_id, week, status, attempts, claimed_at, message_ts, error, updated_at"
            " FROM digest_ledger WHERE channel_id = ? AND week = ?",
            (channel_id, week),
        ).fetchone()
        return LedgerEntry(*row) if row else None

    def entries(self, week: str) -> list[LedgerEntry]:
        rows = self.database.conn.execute(
            "SELECT channel_id, week, status, attempts, claimed_at, message_ts, error, updated_at"
            " FROM digest_ledger WHERE week = ? ORDER BY channel_id",
            (week,),
        )
        return [LedgerEntry(*r) for r in rows]
