"""Digest storage: one week's runs aggregated in SQL, per channel, and the ledger that posts each digest once.

A week's runs never come into Python one by one. Each channel's figures are a handful of aggregate queries
over its slice of the covering index runs_digest (channel_id, created_at, ...): an index range per channel,
no table lookups, and sorts of one channel's rows rather than of the whole week, which is what keeps a
million runs in about a second (tests/bench_digest.py). Channels are spread over a few threads, each with its
own connection (SQLite releases the GIL while it steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from storage.db import Database


@dataclass(frozen=True)
class TokenRates:
    """Nano-dollars per token, multiplied by the rule's scale so every rate is a whole number; None: no rate."""

    input: int
    output: int
    cache_read: int | None
    cache_write: int | None


@dataclass(frozen=True)
class RepriceRule:
    """How to price one provider's runs on another model, in SQL, exactly as commands.pricing would."""

    provider: str
    scale: int  # the rates are multiplied by this; the sum is divided back and rounded half to even
    rates: TokenRates
    input_includes_cache: bool  # OpenAI: input_tokens counts cache reads (and writes without their own rate)
    long_context_above: int | None = None
    long_context: TokenRates | None = None


@dataclass(frozen=True)
class SpendGroup:
    """Succeeded runs of one channel alike in day, lane, model and whether their prices are known."""

    day: int  # 0 = the week's Monday
    lane: str
    model: str
    effort: str | None
    price_known: bool
    repriced: bool  # the premium re-price is known for these runs
    runs: int
    cost_nanousd: int  # 0 when the price is unknown
    premium_nanousd: int  # 0 unless repriced


@dataclass(frozen=True)
class RequestCounts:
    runs: int  # every run, whatever its status
    succeeded: int
    requests: int  # requests with a run in the period
    escalated: int  # of those, requests with an escalated run in the period
    with_unknown_price: int  # requests with a succeeded run whose price is unknown
    with_unknown_cost_nanousd: int  # known cost of those requests' other runs


@dataclass(frozen=True)
class LaneStarts:
    """Requests whose first run (on the lane they were routed to) is in the period."""

    lane: str
    requests: int
    escalated: int  # of those, escalated in the period


@dataclass(frozen=True)
class EscalationGroup:
    from_model: str
    from_effort: str | None
    to_model: str
    to_effort: str | None
    reason: str | None
    count: int


@dataclass(frozen=True)
class UserSpend:
    user_id: str
    runs: int  # succeeded
    cost_nanousd: int
    unknown_runs: int


@dataclass(frozen=True)
class ChannelWeek:
    """Everything one channel's digest is computed from."""

    channel_id: str
    counts: RequestCounts
    spend: tuple[SpendGroup, ...]
    starts: tuple[LaneStarts, ...]
    escalations: tuple[EscalationGroup, ...]
    users: tuple[UserSpend, ...]


@dataclass(frozen=True)
class Totals:
    runs: int
    cost_nanousd: int
    unknown_runs: int
    requests: int
    escalated: int


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    day_starts: tuple[float, ...] = ()  # local midnights after the first day, for the per-day figures


_RANGE = "channel_id = ? AND created_at >= ? AND created_at < ?"
_KNOWN = "CASE WHEN status = 'succeeded' AND price_known = 1 THEN cost_nanousd ELSE 0 END"
_UNKNOWN = "(status = 'succeeded' AND COALESCE(price_known, 0) = 0)"
_PARALLEL_FROM = 64  # channels; fewer are done on the caller's thread


def active_channels(database: Database, start: float, end: float) -> list[str]:
    """Channels with a run created in [start, end): a skip-scan over the index, one probe per channel."""
    rows = database.conn.execute(
        "WITH RECURSIVE ch(id) AS (SELECT MIN(channel_id) FROM runs"
        " UNION ALL SELECT (SELECT MIN(channel_id) FROM runs WHERE channel_id > ch.id) FROM ch WHERE ch.id IS NOT NULL)"
        " SELECT id FROM ch WHERE id IS NOT NULL AND EXISTS"
        " (SELECT 1 FROM runs WHERE channel_id = ch.id AND created_at >= ? AND created_at < ?)",
        (start, end),
    )
    return [r[0] for r in rows]


def week_activity(
    database: Database,
    channels: Sequence[str],
    period: Period,
    rules: Sequence[RepriceRule],
    *,
    users: bool = False,
    workers: int = 2,
) -> list[ChannelWeek]:
    """The aggregates of each channel's runs created in the period, in the order of `channels`."""
    premium_sql, premium_params = premium_expression(rules)

    def one(channel: str) -> ChannelWeek:
        return _channel_week(database.conn, channel, period, premium_sql, premium_params, users)

    if workers <= 1 or len(channels) < _PARALLEL_FROM:
        return [one(c) for c in channels]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="routebot-digest") as pool:
        return list(pool.map(one, channels, chunksize=max(1, len(channels) // (workers * 8))))


def period_totals(database: Database, channels: Sequence[str], start: float, end: float) -> dict[str, Totals]:
    """Headline figures of [start, end) for each of `channels` that had a run then."""
    conn = database.conn
    out = {}
    for channel in channels:
        row = conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM({_KNOWN}), 0), COALESCE(SUM({_UNKNOWN}), 0),"
            " COUNT(DISTINCT request_id), COUNT(DISTINCT CASE WHEN escalated_from IS NOT NULL THEN request_id END)"
            f" FROM runs WHERE {_RANGE}",
            (channel, start, end),
        ).fetchone()
        if row[0]:
            out[channel] = Totals(*row)
    return out


def _channel_week(
    conn: Any, channel: str, period: Period, premium_sql: str, premium_params: list[Any], users: bool
) -> ChannelWeek:
    span = (channel, period.start, period.end)
    day_sql = " + ".join(["0", *("(created_at >= ?)" for _ in period.day_starts)])
    premium = f"CASE WHEN price_known = 1 THEN {premium_sql} END"
    spend = tuple(
        SpendGroup(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6], r[7] or 0, r[8] or 0)
        for r in conn.execute(
            f"SELECT {day_sql}, lane, model, effort, price_known = 1, {premium} IS NOT NULL,"
            f" COUNT(*), SUM(cost_nanousd), SUM({premium})"
            f" FROM runs WHERE {_RANGE} AND status = 'succeeded' GROUP BY 1, 2, 3, 4, 5, 6",
            [*period.day_starts, *premium_params, *premium_params, *span],
        )
    )
    starts = tuple(
        LaneStarts(*r)
        for r in conn.execute(
            "SELECT lane, COUNT(DISTINCT request_id), COUNT(DISTINCT CASE WHEN request_id IN"
            f" (SELECT request_id FROM runs WHERE {_RANGE} AND escalated_from IS NOT NULL) THEN request_id END)"
            f" FROM runs WHERE {_RANGE} AND escalated_from IS NULL GROUP BY lane",
            (*span, *span),
        )
    )
    # Attempt 1 only: a retry of an escalated run carries the same escalated_from and is no new escalation.
    escalations = tuple(
        EscalationGroup(*r)
        for r in conn.execute(
            "SELECT p.model, p.effort, e.model, e.effort, e.escalation_reason, COUNT(*)"
            " FROM runs AS e JOIN runs AS p ON p.id = e.escalated_from"
            " WHERE e.channel_id = ? AND e.created_at >= ? AND e.created_at < ? AND e.escalated_from IS NOT NULL"
            " AND e.attempt = 1 GROUP BY 1, 2, 3, 4, 5",
            span,
        )
    )
    spenders: tuple[UserSpend, ...] = ()
    if users:
        spenders = tuple(
            UserSpend(r[0], r[1], r[2] or 0, r[3] or 0)
            for r in conn.execute(
                f"SELECT user_id, COUNT(*), SUM({_KNOWN}), SUM({_UNKNOWN})"
                f" FROM runs WHERE {_RANGE} AND status = 'succeeded' GROUP BY 1",
                span,
            )
        )
    counts = _counts(conn, *span)
    return ChannelWeek(channel, counts, spend, starts, escalations, spenders)


def _counts(conn: Any, channel: str, start: float, end: float) -> RequestCounts:
    span = (channel, start, end)
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(status = 'succeeded'), 0), COUNT(DISTINCT request_id),"
        " COUNT(DISTINCT CASE WHEN escalated_from IS NOT NULL THEN request_id END),"
        f" COUNT(DISTINCT CASE WHEN {_UNKNOWN} THEN request_id END) FROM runs WHERE {_RANGE}",
        span,
    ).fetchone()
    unknown_cost = 0
    if row[4]:  # rare: most weeks have no run of unknown price
        unknown_cost = conn.execute(
            f"SELECT COALESCE(SUM({_KNOWN}), 0) FROM runs WHERE {_RANGE} AND request_id IN"
            f" (SELECT request_id FROM runs WHERE {_RANGE} AND {_UNKNOWN})",
            (*span, *span),
        ).fetchone()[0]
    return RequestCounts(row[0], row[1], row[2], row[3], row[4], unknown_cost)


def premium_expression(rules: Sequence[RepriceRule]) -> tuple[str, list[Any]]:
    """A SQL expression giving each run's re-price in nano-dollars, NULL where it is unknown."""
    if not rules:
        return "NULL", []
    whens = []
    params: list[Any] = []
    for rule in rules:
        expr = _priced(rule, rule.rates)
        if rule.long_context_above is not None and rule.long_context is not None:
            expr = (f"CASE WHEN COALESCE(input_tokens, 0) > {int(rule.long_context_above)}"
                    f" THEN {_priced(rule, rule.long_context)} ELSE {expr} END")
        whens.append(f"WHEN ? THEN {expr}")
        params.append(rule.provider)
    return f"(CASE provider {' '.join(whens)} ELSE NULL END)", params


def _priced(rule: RepriceRule, rates: TokenRates) -> str:
    i, o = "COALESCE(input_tokens, 0)", "COALESCE(output_tokens, 0)"
    r, w = "COALESCE(cache_read_tokens, 0)", "COALESCE(cache_write_tokens, 0)"
    missing = []
    if rates.cache_read is None:
        missing.append(f"{r} > 0")
    apart = not rule.input_includes_cache or rates.cache_write is not None
    if apart and rates.cache_write is None:
        missing.append(f"{w} > 0")
    uncached = i
    if rule.input_includes_cache:
        uncached = f"({i} - {r}" + (f" - {w})" if apart else ")")
        missing.append(f"{uncached} < 0")  # counts that contradict each other: refuse to guess
    terms = [f"{uncached} * {int(rates.input)}", f"{o} * {int(rates.output)}"]
    if rates.cache_read is not None:
        terms.append(f"{r} * {int(rates.cache_read)}")
    if apart and rates.cache_write is not None:
        terms.append(f"{w} * {int(rates.cache_write)}")
    total = " + ".join(terms)
    if rule.scale != 1:  # divide back, rounding half to even as Decimal does in commands.pricing
        s = int(rule.scale)
        total = (f"(({total}) / {s} + CASE WHEN (({total}) % {s}) * 2 > {s} OR ((({total}) % {s}) * 2 = {s}"
                 f" AND (({total}) / {s}) % 2 = 1) THEN 1 ELSE 0 END)")
    if not missing:
        return f"({total})"
    return f"(CASE WHEN {' OR '.join(missing)} THEN NULL ELSE {total} END)"


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
