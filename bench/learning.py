"""Simulation: does learning from escalations cut escalations where the router is miscalibrated, and cost
nothing where it is not? Run from the repo root: `python -m bench.learning [--seeds N]`.

A synthetic workspace of four channels sends requests of a dozen kinds for four simulated weeks, through
the real router (`route_and_record`), the real run service and SQLite storage; only the model call is
simulated (tokens from the task's length, priced from the policy). Each kind has a true needed rung: the
base router's usual choice for it, one rung above ("under": the router is too cheap) or one below
("over"). Simulated people run the card's lane and escalate with the kind's reason until the rung is enough;
a request with no further escalation for a day counts as answered well (no feedback buttons yet).

The same requests, in the same order, are sent once with learning and once without, per seed; the table
gives medians over the seeds. It never fails (exit status 0) and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Row, ms, print_table  # noqa: E402
from commands.calibration import SIMILAR, Features  # noqa: E402
from commands.learning import Learning  # noqa: E402
from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy  # noqa: E402
from commands.providers import Completion, TextSink, TokenCounts, Turn  # noqa: E402
from commands.route_args import parse_route_args  # noqa: E402
from commands.route_request import route_and_record  # noqa: E402
from commands.runs import RunPlan, RunService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.learning import LearningStore  # noqa: E402
from storage.records import Run  # noqa: E402
from storage.runs import RunStore  # noqa: E402

DAY = 86_400.0
WEEKS = 4
DAYS_PER_WEEK = 5
REQUESTS_PER_CHANNEL_DAY = 6
START = 1_764_547_200.0  # Monday 2025-12-01 00:00 UTC


@dataclass(frozen=True)
class Kind:
    name: str
    channel: str
    templates: tuple[str, ...]  # ways people phrase it
    slots: dict[str, tuple[str, ...]]
    delta: int  # true need minus the base router's usual rung: +1 under, 0 calibrated, -1 over
    reason: str = "missed_context"

    @property
    def calibration(self) -> str:
        return {1: "under", 0: "calibrated", -1: "over"}[self.delta]


_DOCS = ("supplier contract", "NDA", "master services agreement", "licence agreement", "lease", "SOW")
_TEAMS = ("finance", "sales", "ops", "procurement", "product", "partner")
_CLIENTS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")
_TERMS = ("liability caps", "termination rights", "notice periods", "payment terms")
_N = ("20", "40", "60", "120", "300")
_SEGMENTS = ("mid-market CRM", "SMB payroll", "enterprise search", "EU e-invoicing")
KINDS = (
    # legal: contract summaries need more than the router gives them (the example); summaries of
    # email threads read much the same and are fine where the router puts them
    Kind(
        "contract summary",
        "C-legal",
        (
            "Summarize this {doc} for the {team} team, with the renewal terms and {terms}",
            "Give the {team} team a summary of this {doc}: renewal terms, {terms}",
        ),
        {"doc": _DOCS, "team": _TEAMS, "terms": _TERMS},
        1,
        "missed_context",
    ),
    Kind(
        "email thread summary",
        "C-legal",
        (
            "Summarize this email thread from {client} for the {team} team",
            "Summarize the emails from {client} for the {team} team in 3 bullets",
        ),
        {"client": _CLIENTS, "team": _TEAMS},
        0,
    ),
    Kind(
        "clause tagging",
        "C-legal",
        ("Classify these {n} clauses by risk level: low, medium or high",),
        {"n": _N},
        0,
    ),
    # support: ticket summaries share the words "summarize ... for the ... team" with legal's contracts
    Kind(
        "ticket summary",
        "C-support",
        ("Summarize this ticket thread for the {team} team in {n} bullets",),
        {"team": ("billing", "support", "product", "success"), "n": ("3", "5")},
        0,
    ),
    Kind(
        "ticket tagging",
        "C-support",
        ("Tag each of these {n} support tickets as billing, bug or other",),
        {"n": _N},
        0,
    ),
    Kind(
        "refund reply",
        "C-support",
        (
            "Draft a reply to this customer who was {issue} and wants a refund",
            "Reply to a customer asking for a refund after being {issue}",
        ),
        {"issue": ("double charged last month", "billed after cancelling", "charged for the wrong plan")},
        1,
        "too_shallow",
    ),
    # eng: migration plans need deeper reasoning than the router thinks; endpoints and debugging are fine
    Kind(
        "migration plan",
        "C-eng",
        (
            "Write a migration plan for moving the {service} service to {target}",
            "Plan how we migrate the {service} service to {target} without downtime",
        ),
        {"service": ("billing", "auth", "search", "export"), "target": ("Postgres", "Kafka", "Kubernetes")},
        1,
        "wrong_answer",
    ),
    Kind(
        "endpoint",
        "C-eng",
        ("Implement a {what} endpoint for the {api} API in Python",),
        {"what": ("pagination", "bulk update", "search", "export"), "api": ("orders", "users", "invoices")},
        0,
    ),
    Kind(
        "job debugging",
        "C-eng",
        ("Debug why the nightly {job} job times out on large accounts",),
        {"job": ("export", "billing", "sync", "report")},
        0,
    ),
    # sales: market analyses are fine a rung cheaper than the router's usual choice for them
    Kind(
        "market analysis",
        "C-sales",
        (
            "Write a market analysis of {segment} competitors",
            "Write a short overview of the {segment} market",
        ),
        {"segment": _SEGMENTS},
        -1,
    ),
    Kind(
        "competitor overview",
        "C-sales",
        ("Write a short competitor overview of {client} for the sales team",),
        {"client": _CLIENTS},
        0,
    ),
    Kind(
        "invoice extraction",
        "C-sales",
        ("Extract the invoice number, date and total from these {n} emails",),
        {"n": _N},
        0,
    ),
)


def _task(kind: Kind, rng: random.Random) -> str:
    template = rng.choice(kind.templates)
    return template.format(**{k: rng.choice(v) for k, v in kind.slots.items()})


def _usual_rungs(policy: Policy) -> dict[str, int]:
    """Each kind's usual base rung (the router's most common choice over its phrasings)."""
    from commands.router import route

    rng = random.Random(0)
    usual = {}
    for kind in KINDS:
        rungs = Counter(policy.lane(route(_task(kind, rng), policy).lane.id).rung for _ in range(40))
        usual[kind.name] = rungs.most_common(1)[0][0]
    return usual


@dataclass
class Week:
    requests: Counter[str]  # by calibration class
    escalated: Counter[str]
    multi: Counter[str]  # requests that needed more than one escalation
    spend: Counter[str]  # nano-dollars
    moved_too_far: int = 0
    reached_max: int = 0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def simulate(
    seed: int, *, learn: bool, features: Features | None = None, threshold: float = SIMILAR
) -> list[Week]:
    policy = load_policy(DEFAULT_POLICY_PATH)
    needs = {
        k.name: min(max(r + k.delta, 0), policy.lane(policy.roles.premium).rung) for k, r in _pairs(policy)
    }
    rng = random.Random(seed)
    weeks = [Week(Counter(), Counter(), Counter(), Counter()) for _ in range(WEEKS)]
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(str(Path(tmp) / "sim.db"))
        store = RunStore(database)
        clock = Clock(START)
        runs = RunService(store, policy, {"anthropic": _SimulatedModel()}, clock)
        learning = Learning(LearningStore(database), policy, features, threshold) if learn else None
        try:
            for week in range(WEEKS):
                for day in range(DAYS_PER_WEEK):
                    day_start = START + (week * 7 + day) * DAY
                    todays = [
                        rng.choice([k for k in KINDS if k.channel == channel])
                        for channel in sorted({k.channel for k in KINDS})
                        for _ in range(REQUESTS_PER_CHANNEL_DAY)
                    ]
                    rng.shuffle(todays)
                    for i, kind in enumerate(todays):
                        clock.now = day_start + 9 * 3600 + i * 300
                        _one_request(
                            kind, needs[kind.name], rng, weeks[week], policy, store, runs, learning, clock
                        )
        finally:
            database.close()
    return weeks


def _pairs(policy: Policy) -> list[tuple[Kind, int]]:
    usual = _usual_rungs(policy)
    return [(k, usual[k.name]) for k in KINDS]


def _one_request(
    kind: Kind,
    need: int,
    rng: random.Random,
    week: Week,
    policy: Policy,
    store: RunStore,
    runs: RunService,
    learning: Learning | None,
    clock: Clock,
) -> None:
    task = _task(kind, rng)
    routed = route_and_record(
        parse_route_args(task),
        policy=policy,
        store=store,
        channel_id=kind.channel,
        user_id="U-" + kind.channel,
        team_id="T1",
        provider="anthropic",
        allowed_providers=("anthropic",),
        dedupe_key=None,
        clock=clock,
        learning=learning,
    )
    label = kind.calibration
    week.requests[label] += 1
    base = routed.adjustment.base_lane if routed.adjustment else routed.decision.lane.id
    start_rung = routed.decision.lane.rung
    if abs(start_rung - policy.lane(base).rung) > 1:
        week.moved_too_far += 1
    if routed.decision.lane.id == policy.roles.last_resort and base != policy.roles.last_resort:
        week.reached_max += 1
    run = _run(runs, runs.plan_first_run(routed.request.id, "anthropic"))
    escalations = 0
    while run.rung < need:
        clock.now += 120
        plan = runs.plan_escalation(run.id, "anthropic", kind.reason)
        run = _run(runs, plan)
        escalations += 1
    week.escalated[label] += escalations > 0
    week.multi[label] += escalations > 1
    for r in store.runs_for_request(routed.request.id):
        week.spend[label] += r.cost_nanousd or 0


def _run(runs: RunService, plan: RunPlan) -> Run:
    run = runs.claim(plan, plan.request.user_id)
    assert run is not None
    done = runs.execute(run.id)  # the simulated model answers; the run service prices and records it
    if done.status != "succeeded" or done.cost_nanousd is None:
        raise RuntimeError(f"simulated run {done.id} ended {done.status}: {done.error_message}")
    return done


class _SimulatedModel:
    """The model call, the one simulated part: it answers at once, with tokens from the task's length."""

    name = "anthropic"

    def tokens(self, task: str) -> TokenCounts:
        return TokenCounts(input_tokens=len(task) // 4 + 1_500, output_tokens=700)

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        # The run service streams every run (commands/runs.py); the answer arrives in one piece.
        on_text("(simulated)")
        return Completion("(simulated)", self.tokens(turns[-1].text))  # a /route run: one turn, the task


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(seeds: int) -> int:
    started = time.perf_counter()
    variants: dict[str, Callable[[int], list[Week]]] = {
        "without learning": lambda s: simulate(s, learn=False),
        "learning (similar requests, cosine >= 0.5)": lambda s: simulate(s, learn=True),
        "learning (similar requests, cosine >= 0.3)": lambda s: simulate(s, learn=True, threshold=0.3),
        "learning (similar requests, cosine >= 0.4)": lambda s: simulate(s, learn=True, threshold=0.4),
        "learning (similar requests, cosine >= 0.6)": lambda s: simulate(s, learn=True, threshold=0.6),
        "learning (whole channel, no similarity)": lambda s: simulate(
            s, learn=True, features=lambda text: frozenset({"channel"})
        ),
    }
    results = {name: [run(seed) for seed in range(seeds)] for name, run in variants.items()}
    base = results["without learning"]
    print(f"learning simulation: {len(KINDS)} kinds in 4 channels, {WEEKS} weeks, {seeds} seeds (medians)")
    for name, per_seed in results.items():
        print(f"\n{name}")
        print("  week  esc.rate all  esc.rate under  >1 esc.  spend all  spend calibrated  spend over")
        for w in range(WEEKS):
            week = [weeks[w] for weeks in per_seed]
            rate = _median([sum(x.escalated.values()) / max(1, sum(x.requests.values())) for x in week])
            under = _median([x.escalated["under"] / max(1, x.requests["under"]) for x in week])
            multi = _median([sum(x.multi.values()) for x in week])
            spend = _median([sum(x.spend.values()) / 1e9 for x in week])
            calibrated = _median([x.spend["calibrated"] / 1e9 for x in week])
            over = _median([x.spend["over"] / 1e9 for x in week])
            print(
                f"  {w + 1:>4}  {rate:>12.1%}  {under:>14.1%}  {multi:>7.0f}  ${spend:>8.3f}"
                f"  ${calibrated:>15.3f}  ${over:>9.3f}"
            )
    rows: list[Row] = []
    for name, per_seed in results.items():
        if name == "without learning":
            continue
        fall = _median(
            [
                1 - with_[2].escalated["under"] / max(1, without[2].escalated["under"])
                for with_, without in zip(per_seed, base, strict=True)
            ]
        )
        rise = _median(
            [
                sum(w.spend["calibrated"] for w in with_)
                / max(1, sum(w.spend["calibrated"] for w in without))
                - 1
                for with_, without in zip(per_seed, base, strict=True)
            ]
        )
        too_far = sum(w.moved_too_far + w.reached_max for weeks in per_seed for w in weeks)
        rows += [
            Row(
                f"{name}: under-routed escalations, week 3 vs none",
                f"-{fall:.0%}",
                "fall >= 60%",
                fall >= 0.6,
            ),
            Row(f"{name}: calibrated kinds' spend, 4 weeks", f"{rise:+.1%}", "rise <= 5%", rise <= 0.05),
            Row(f"{name}: routed > 1 rung from base or to max", str(too_far), "0", too_far == 0),
        ]
    print_table("goals", rows)
    print_table("cost of learning per /route (median of 30 decisions)", [_cost(n) for n in COST_SIZES])
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


COST_SIZES = (1_000, 10_000)


def _cost(past: int) -> Row:
    """One request's learning (read the window's outcomes, compare, decide) with `past` requests stored."""
    from commands.router import route

    policy = load_policy(DEFAULT_POLICY_PATH)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(str(Path(tmp) / "cost.db"))
        learning = Learning(LearningStore(database), policy)
        now = START + 8 * 7 * DAY
        with database.transaction() as conn:  # seeding only: plain inserts in one transaction
            for i in range(past):
                kind = rng.choice(KINDS)
                at = now - rng.uniform(0, 8 * 7 * DAY)
                task, channel = _task(kind, rng), f"C{i % 20}"
                request = conn.execute(
                    "INSERT INTO requests (channel_id, user_id, task, task_chars, lane, provider, confidence,"
                    " created_at) VALUES (?, 'U1', ?, ?, 'cheap', 'anthropic', 0.8, ?)",
                    (channel, task, len(task), at),
                ).lastrowid
                conn.execute(
                    "INSERT INTO learning_requests (request_id, channel_id, base_lane, lane, moved, explicit,"
                    " features, created_at) VALUES (?, ?, 'cheap', 'cheap', 0, 0, ?, ?)",
                    (request, channel, " ".join(learning.features(task)), at),
                )
                run = "INSERT INTO runs (request_id, channel_id, user_id, provider, model, lane, rung,"
                run += (
                    " escalated_from, created_at, status) VALUES (?, ?, 'U1', 'anthropic', ?, ?, ?, ?, ?, ?)"
                )
                first = conn.execute(
                    run, (request, channel, "claude-haiku-4-5", "cheap", 0, None, at, "succeeded")
                ).lastrowid
                if kind.delta > 0:
                    conn.execute(
                        run,
                        (request, channel, "claude-sonnet-4-6", "default", 1, first, at + 60, "succeeded"),
                    )
        timings = []
        for _ in range(30):
            task = _task(rng.choice(KINDS), rng)
            decision = route(task, policy)
            begin = time.perf_counter()
            learning.adjust(decision, task, "C1", now)
            timings.append(time.perf_counter() - begin)
        database.close()
    median = statistics.median(timings)
    return Row(f"{past:,} past requests in the 8-week window", ms(median), "<= 100 ms", median <= 0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    return report(parser.parse_args().seeds)


if __name__ == "__main__":
    raise SystemExit(main())
