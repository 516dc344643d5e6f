"""The digest's figures against a plain recomputation from the stored runs; the suggestion; unknown prices."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from commands.digest import (
    DigestOptions,
    Share,
    Summary,
    compute_digests,
    day_starts,
    suggest,
)
from commands.digest_text import render_text
from commands.policy import DEFAULT_POLICY_PATH, ModelChoice, Policy, load_policy
from commands.pricing import exact_cost, rates_of, to_nanousd
from commands.providers import TokenCounts
from commands.reprice import premium_rates, size_bands
from commands.weeks import Week, parse_week
from storage.db import Database
from storage.digests import ChannelWeek, Counts, LaneSpend, ModelSpend, Period, week_activity
from storage.records import Run
from storage.runs import RunStore
from tests.builders import Seeder

POLICY = load_policy()
TZ = "America/New_York"  # 2026-W10 holds the switch to daylight saving time: its Sunday has 23 hours
WEEK = parse_week("2026-W10", TZ)
REASONS = ("wrong_answer", "too_shallow", "missed_context", "high_stakes", "other", None)


def _tokens(rng: random.Random, provider: str) -> TokenCounts:
    size = rng.choice((800, 5_000, 40_000, 300_000 if provider == "openai" else 90_000))
    # size + 10 cache reads on OpenAI contradict the input count: the price is unknown
    read = rng.choice((0, 0, size // 3, size + 10 if provider == "openai" else size))
    return TokenCounts(size, rng.randint(10, 3_000), read, rng.choice((0, 0, 700)), rng.choice((0, 300)))


def _seed(store: RunStore, seed: int = 11) -> None:
    """Runs in three channels around WEEK: before it (the comparison week), in it, after it; every status."""
    rng = random.Random(seed)
    seeder = Seeder(store, POLICY)
    # Routed on Sunday night, escalated on Monday: the escalation counts in WEEK, its first run does not.
    seeder.escalate(seeder.task("C1", WEEK.start - 100), WEEK.start + 100, reason="too_shallow")
    lanes = ("cheap", "cheap", "default", "code", "premium", "max")
    for channel in ("C1", "C2", "C3"):
        for _ in range(70 if channel != "C3" else 8):
            at = rng.uniform(WEEK.start - 8 * 86_400, WEEK.end + 86_400)
            provider = rng.choice(("anthropic", "anthropic", "openai"))
            lane = rng.choice(lanes)
            model = "claude-mystery-1" if provider == "anthropic" and rng.random() < 0.08 else None
            status = rng.choice(("succeeded",) * 8 + ("failed", "interrupted", "running"))
            run = seeder.task(
                channel,
                at,
                lane=lane,
                provider=provider,
                user=f"U{rng.randint(1, 7)}",
                model=model,
                status=status,
                tokens=_tokens(rng, provider),
            )
            while run.status == "succeeded" and rng.random() < 0.45 and seeder.can_escalate(run):
                other = "openai" if run.provider == "anthropic" else "anthropic"
                target = other if rng.random() < 0.2 else None
                at += rng.uniform(60, 9_000)
                nxt = seeder.escalate(
                    run,
                    at,
                    reason=rng.choice(REASONS),
                    provider=target,
                    status=rng.choice(("succeeded",) * 5 + ("failed",)),
                    tokens=_tokens(rng, target or run.provider),
                )
                if nxt.status == "failed":
                    nxt = seeder.retry(nxt, at + 30, tokens=_tokens(rng, nxt.provider))
                run = nxt


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, list[Run]]:
    database = Database(str(tmp_path_factory.mktemp("digest") / "r.db"))
    store = RunStore(database)
    _seed(store)
    runs = [store.run(r[0]) for r in database.conn.execute("SELECT id FROM runs ORDER BY id")]
    return database, [r for r in runs if r is not None]


def _label(model: str, effort: str | None) -> str:
    return ModelChoice("", model, effort).label


def _premium(policy: Policy, run: Run) -> Decimal | None:
    """The run on the premium lane, priced on its own, unrounded, at the rates of the week's start."""
    choice = policy.lane("premium").models.get(run.provider)
    tokens = TokenCounts(
        run.input_tokens or 0,
        run.output_tokens or 0,
        run.cache_read_tokens or 0,
        run.cache_write_tokens or 0,
        run.reasoning_tokens or 0,
    )
    rates = rates_of(policy, run.provider, choice.model, WEEK.start) if choice else None
    return exact_cost(rates, tokens) if rates else None


def _plain(runs: list[Run], channel: str, start: float, end: float) -> dict:
    """Every figure, recomputed one run at a time with no SQL and none of the digest's code."""
    by_id = {r.id: r for r in runs}
    mine = [r for r in runs if r.channel_id == channel and start <= r.created_at < end]
    ok = [r for r in mine if r.status == "succeeded"]
    known = [r for r in ok if r.price_known == 1]
    lanes: Counter = Counter()
    models: Counter = Counter()
    for r in known:
        lanes[r.lane] += r.cost_nanousd
        models[_label(r.model, r.effort)] += r.cost_nanousd
    escalations = [r for r in mine if r.escalated_from is not None and r.attempt == 1]
    repriced = [(r, _premium(POLICY, r)) for r in known]
    compared = [(r, p) for r, p in repriced if p is not None]
    zone = ZoneInfo(TZ)
    monday = datetime.fromtimestamp(WEEK.start, zone).date()
    days: Counter = Counter()
    for r in known:
        days[((datetime.fromtimestamp(r.created_at, zone).date() - monday).days, r.lane)] += r.cost_nanousd
    requests = {r.request_id for r in mine}
    return {
        "runs": len(mine),
        "spend": sum(r.cost_nanousd for r in known),
        "unknown": len(ok) - len(known),
        "requests": len(requests),
        "escalated": len({r.request_id for r in mine if r.escalated_from is not None}),
        "lanes": dict(lanes),
        "lane_runs": dict(Counter(r.lane for r in ok)),
        "lane_unknown": dict(Counter(r.lane for r in ok if r.price_known != 1)),
        "models": dict(models),
        "paths": dict(
            Counter(
                (
                    _label(by_id[r.escalated_from].model, by_id[r.escalated_from].effort),
                    _label(r.model, r.effort),
                )
                for r in escalations
            )
        ),
        "reasons": dict(Counter(r.escalation_reason for r in escalations)),
        "premium": to_nanousd(sum((p for _, p in compared), Decimal(0))),
        "premium_actual": sum(r.cost_nanousd for r, _ in compared),
        "premium_excluded": len(ok) - len(compared),
        "days": dict(days),
        "first_runs": dict(Counter(r.lane for r in ok if r.escalated_from is None)),
        "escalated_first": dict(
            Counter(
                parent.lane
                for parent in (by_id[r.escalated_from] for r in escalations)
                if parent.escalated_from is None
                and parent.status == "succeeded"
                and parent.created_at >= start
            )
        ),
    }


def test_seeded_data_covers_the_cases(seeded: tuple[Database, list[Run]]) -> None:
    _, runs = seeded
    inside = [r for r in runs if WEEK.start <= r.created_at < WEEK.end]
    assert {r.status for r in inside} >= {"succeeded", "failed", "interrupted", "running"}
    assert any(r.price_known == 0 for r in inside) and any(r.escalated_from for r in inside)
    assert any(r.attempt == 2 and r.escalated_from for r in inside)  # a retried escalation
    assert any(r.provider == "openai" and (r.input_tokens or 0) > 272_000 for r in inside)  # long context
    assert any(r.created_at < WEEK.start for r in runs) and any(r.created_at >= WEEK.end for r in runs)


@pytest.mark.parametrize("workers", [1, 2])
def test_figures_match_a_plain_recomputation_from_the_stored_runs(
    seeded: tuple[Database, list[Run]], workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, runs = seeded
    monkeypatch.setattr("storage.digests._PARALLEL_FROM", 1)  # two threads even for three channels
    digests = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ, workers=workers))
    assert [d.channel_id for d in digests] == sorted(
        {r.channel_id for r in runs if WEEK.start <= r.created_at < WEEK.end}
    )
    before = WEEK.previous(TZ)
    for d in digests:
        want = _plain(runs, d.channel_id, WEEK.start, WEEK.end)
        s = d.summary
        assert (s.runs, s.spend_nanousd, s.unknown_runs) == (want["runs"], want["spend"], want["unknown"])
        assert (s.requests, s.escalated_requests) == (want["requests"], want["escalated"])
        assert {x.key: x.spend_nanousd for x in d.lanes if x.spend_nanousd} == want["lanes"]
        assert {x.key: x.runs for x in d.lanes} == want["lane_runs"]
        assert {x.key: x.unknown_runs for x in d.lanes if x.unknown_runs} == want["lane_unknown"]
        assert {x.key: x.spend_nanousd for x in d.models if x.spend_nanousd} == want["models"]
        assert {(p.from_label, p.to_label): p.count for p in d.paths} == want["paths"]
        assert {r.reason: r.count for r in d.reasons} == want["reasons"]
        p = d.premium
        assert (p.premium_nanousd, p.actual_nanousd, p.excluded_runs) == (
            want["premium"],
            want["premium_actual"],
            want["premium_excluded"],
        )
        assert p.compared_runs + p.excluded_runs == s.runs - sum(
            1
            for r in runs
            if r.channel_id == d.channel_id
            and WEEK.start <= r.created_at < WEEK.end
            and r.status != "succeeded"
        )
        got_days = {(i, lane): cost for i, bar in enumerate(d.days) for lane, cost in bar.lanes if cost}
        assert got_days == want["days"]
        assert d.average.nanousd == (s.spend_nanousd + s.requests // 2) // s.requests
        assert d.average.at_least == (s.unknown_runs > 0)
        prior = _plain(runs, d.channel_id, before.start, before.end)
        assert d.previous is not None
        assert (
            d.previous.spend_nanousd,
            d.previous.runs,
            d.previous.requests,
            d.previous.escalated_requests,
            d.previous.unknown_runs,
        ) == (prior["spend"], prior["runs"], prior["requests"], prior["escalated"], prior["unknown"])


def test_top_spenders_match_a_plain_recomputation(seeded: tuple[Database, list[Run]]) -> None:
    database, runs = seeded
    (d,) = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ, show_users=True), channels=["C1"])
    ok = [
        r
        for r in runs
        if r.channel_id == "C1" and WEEK.start <= r.created_at < WEEK.end and r.status == "succeeded"
    ]
    plain = sorted(
        (
            -sum(r.cost_nanousd or 0 for r in ok if r.user_id == u and r.price_known == 1),
            -sum(1 for r in ok if r.user_id == u),
            u,
        )
        for u in {r.user_id for r in ok}
    )
    assert [(u.key, u.spend_nanousd, u.runs) for u in d.users] == [(u, -s, -n) for s, n, u in plain[:5]]
    (quiet,) = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ), channels=["C1"])
    assert quiet.users == ()


def test_suggestion_inputs_match_a_plain_recomputation(seeded: tuple[Database, list[Run]]) -> None:
    database, runs = seeded
    period = Period(WEEK.start, WEEK.end, day_starts(WEEK, TZ)[1:])
    for week in week_activity(
        database, ["C1", "C2"], period, size_bands(premium_rates(POLICY, WEEK.start)), workers=1
    ):
        want = _plain(runs, week.channel_id, WEEK.start, WEEK.end)
        assert {x.lane: x.first_runs for x in week.lanes if x.first_runs} == want["first_runs"]
        assert week.escalated_first_runs == want["escalated_first"]


def test_week_so_far_stops_at_now_and_compares_with_the_same_point_last_week(
    seeded: tuple[Database, list[Run]],
) -> None:
    database, runs = seeded
    now = WEEK.start + 3.5 * 86_400
    (d,) = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ), now=now, channels=["C1"])
    assert d.so_far and d.until == now
    assert d.summary.spend_nanousd == _plain(runs, "C1", WEEK.start, now)["spend"]
    before = WEEK.previous(TZ)
    assert d.previous is not None
    assert d.previous.spend_nanousd == _plain(runs, "C1", before.start, before.start + 3.5 * 86_400)["spend"]


def test_a_channel_without_runs_that_week_gets_no_digest(seeded: tuple[Database, list[Run]]) -> None:
    database, _ = seeded
    assert compute_digests(database, POLICY, parse_week("2026-W20", TZ), DigestOptions(tz=TZ)) == []
    assert compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ), channels=["C-none"]) == []


def test_unknown_prices_are_counted_apart_never_as_zero(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "r.db"))
    seeder = Seeder(RunStore(database), POLICY)
    at = WEEK.start + 3_600
    seeder.task("C1", at, lane="cheap")  # Haiku: 2000 in x $1 + 500 out x $5 per million = $0.0045
    seeder.task("C1", at, lane="cheap", model="claude-mystery-1")
    (d,) = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ))
    assert d.summary.spend_nanousd == 4_500_000 and d.summary.unknown_runs == 1
    assert d.premium.compared_runs == 1 and d.premium.excluded_runs == 1
    assert d.average.at_least  # $0.00225 a request would treat the unknown run as $0
    text = render_text(d)
    assert "Unknown price: 1 run, not included in the spend" in text
    assert "at least $0.002250 per request" in text
    assert "1 run of unknown price left out" in text
    assert "add their prices" in (d.suggestion or "") and "claude-mystery-1" in (d.suggestion or "")


_FRACTIONAL_PRICES = """
[prices."claude-opus-4-6"]
input = 5.00000375
output = 25.00
cache_read = 0.50
cache_write = 6.25
as_of = "2026-11-25"
source = "a test: rates that are not whole nano-dollars per token"

[prices."claude-opus-4-6".long_context]
above_input_tokens = 200000
input = 10.0000005
output = 37.50
cache_read = 1.00

[prices."gpt-5.4"]
input = 2.50
output = 15.00
as_of = "2026-11-25"
source = "a test: no cache-read rate, so a run with cache reads is of unknown price on premium"

[prices."gpt-5.4".long_context]
above_input_tokens = 272000
input = 5.00005
output = 22.50
"""


def test_premium_repricing_of_grouped_sums_is_the_runs_priced_one_by_one(tmp_path: Path) -> None:
    """Fractional rates, both sides of each size tier (Anthropic's size counts its cache tokens), runs
    whose re-price is unknown (cache reads with no rate, counts that contradict): the digest's premium
    figure is the exact sum of every run priced on its own, rounded once."""
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text() + _FRACTIONAL_PRICES)
    policy = load_policy(path)
    bands = size_bands(premium_rates(policy, WEEK.start))
    assert {b.provider: b.thresholds for b in bands} == {"anthropic": (200_000,), "openai": (272_000,)}
    database = Database(str(tmp_path / "r.db"))
    store = RunStore(database)
    seeder = Seeder(store, POLICY)  # the runs' own prices come from the catalog; only premium is overridden
    rng = random.Random(3)
    for i in range(400):
        provider = "openai" if i % 2 else "anthropic"
        size = rng.choice((1, 3, 7, 40, 120, 199_000, 200_001, 272_000, 272_001, 273_000))
        read = rng.choice((0, 0, 1, 1_000, size + 5 if provider == "openai" else 1_000))
        tokens = TokenCounts(size, rng.randint(0, 50), read, rng.choice((0, 3)))
        seeder.task("C1", WEEK.start + i, lane="cheap", provider=provider, tokens=tokens)
    (d,) = compute_digests(database, policy, WEEK, DigestOptions(tz=TZ))
    runs = [store.run(r[0]) for r in database.conn.execute("SELECT id FROM runs")]
    priced = [(r, _premium(policy, r)) for r in runs if r is not None and r.price_known == 1]
    compared = [(r, p) for r, p in priced if p is not None]
    assert 100 < len(compared) < len(priced)  # some runs are unknown on premium, most are not
    assert any(p != int(p) for _, p in compared)  # fractions of a nano-dollar to round
    assert d.premium.premium_nanousd == to_nanousd(sum((p for _, p in compared), Decimal(0)))
    assert d.premium.actual_nanousd == sum(r.cost_nanousd or 0 for r, _ in compared)
    assert (d.premium.compared_runs, d.premium.excluded_runs) == (len(compared), 400 - len(compared))


def _week(
    lanes: list[LaneSpend], escalated: dict[str, int], models: tuple[ModelSpend, ...] = ()
) -> ChannelWeek:
    counts = Counts(100, 50, 10)
    return ChannelWeek("C1", counts, tuple(lanes), models, (), (), (), escalated, (), None)


def _summary(spend: int, unknown: int = 0) -> Summary:
    return Summary(spend_nanousd=spend, unknown_runs=unknown, runs=100, requests=50, escalated_requests=10)


def _shares(week: ChannelWeek) -> tuple[Share, ...]:
    return tuple(Share(x.lane, x.lane, x.runs, x.cost_nanousd, x.unknown_runs) for x in week.lanes)


def test_cheap_tasks_escalated_often_suggest_starting_them_at_default() -> None:
    week = _week([LaneSpend("cheap", 20, 1_000, 0, 20), LaneSpend("default", 10, 5_000, 0, 10)], {"cheap": 8})
    assert suggest(_summary(6_000), _shares(week), week, POLICY) == (
        "Tasks routed to cheap were escalated 40% of the time in this channel (8 of 20): "
        "consider starting them at default."
    )


def test_code_tasks_point_at_premium_and_the_worst_lane_wins() -> None:
    week = _week(
        [LaneSpend("cheap", 20, 1_000, 0, 20), LaneSpend("code", 10, 5_000, 0, 10)], {"cheap": 7, "code": 6}
    )
    text = suggest(_summary(6_000), _shares(week), week, POLICY) or ""
    assert "routed to code were escalated 60%" in text and "starting them at premium" in text


def test_no_suggestion_from_too_few_tasks_or_a_low_rate() -> None:
    few = _week([LaneSpend("cheap", 9, 1_000, 0, 9)], {"cheap": 9})
    assert suggest(_summary(1_000), _shares(few), few, POLICY) is None
    low = _week([LaneSpend("cheap", 40, 1_000, 0, 40)], {"cheap": 11})  # 27.5%
    assert suggest(_summary(1_000), _shares(low), low, POLICY) is None


def test_max_lane_taking_a_large_share_of_spend_is_pointed_out() -> None:
    week = _week([LaneSpend("default", 30, 3_000, 0, 30), LaneSpend("max", 4, 7_000, 0, 4)], {})
    text = suggest(_summary(10_000), _shares(week), week, POLICY) or ""
    assert text.startswith("The max lane took 70% of this channel's spend (4 runs)")
    two = _week([LaneSpend("default", 30, 3_000, 0, 30), LaneSpend("max", 2, 7_000, 0, 2)], {})
    assert suggest(_summary(10_000), _shares(two), two, POLICY) is None  # two runs are no pattern


def test_unknown_prices_suggest_adding_them_to_the_policy() -> None:
    week = _week([LaneSpend("cheap", 5, 1_000, 2, 5)], {}, (ModelSpend("claude-old", None, 2, 0, 2),))
    text = suggest(_summary(1_000, unknown=2), _shares(week), week, POLICY) or ""
    assert text.startswith("2 runs used models with no price in the routing policy (claude-old)")


def test_day_starts_follow_daylight_saving_time() -> None:
    starts = day_starts(WEEK, TZ)
    lengths = [b - a for a, b in zip(starts, (*starts[1:], WEEK.end), strict=True)]
    assert lengths == [86_400] * 6 + [82_800]  # Sunday 8 March 2026 has 23 hours in New York
    assert isinstance(WEEK, Week)


def test_helpful_rate_per_lane_counts_each_persons_latest_vote_on_the_weeks_runs(tmp_path: Path) -> None:
    from storage.conversations import ConversationStore

    database = Database(str(tmp_path / "r.db"))
    store, votes = RunStore(database), ConversationStore(database)
    seeder = Seeder(store, POLICY)
    cheap = [seeder.task("C1", WEEK.start + 3_600 * n, lane="cheap") for n in range(3)]
    default = seeder.task("C1", WEEK.start + 7_200, lane="default")
    last_week = seeder.task("C1", WEEK.start - 3_600, lane="cheap")
    votes.vote(cheap[0].id, "U1", True, WEEK.start + 10)
    votes.vote(cheap[0].id, "U2", True, WEEK.start + 10)
    votes.vote(cheap[1].id, "U1", True, WEEK.start + 10)
    votes.vote(cheap[1].id, "U1", False, WEEK.start + 20)  # changed: the latest vote counts, once
    votes.vote(default.id, "U3", True, WEEK.start + 30)
    votes.vote(last_week.id, "U1", False, WEEK.start + 40)  # a run of the week before: not this week's
    (digest,) = compute_digests(database, POLICY, WEEK, DigestOptions(tz=TZ))
    assert [(h.lane, h.helpful, h.votes) for h in digest.helpful] == [("cheap", 2, 3), ("default", 1, 1)]
    assert "Helpful: Cheap 67% (2 of 3); Default 100% (1 of 1)" in render_text(digest)
