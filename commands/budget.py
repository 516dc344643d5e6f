"""Weekly channel budgets: when a run may not start, when the channel is warned, and what people are told.

Spend is the week's succeeded runs with a known price (storage/spend.py). Runs whose model has no price are
counted apart and always named as unknown: they never count as $0, and they never block a run on their own.

Runs in flight count too. A claimed run holds the most it can cost against the budget until it finishes:
its output at the ROUTEBOT_MAX_OUTPUT_TOKENS cap (reasoning included: the APIs count it inside that cap),
plus its input at one token per UTF-8 byte of the task (byte-level tokenizers never use more), at the
model's price. A run starts only while spent plus held is under the budget, checked and claimed in one
SQLite write transaction, so however many people click at once the week ends at most one run's cost over.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.approvers import sentence_case
from commands.errors import BudgetExceeded
from commands.policy import Policy
from commands.pricing import price_of_run, usd
from commands.providers import TokenCounts
from commands.runs import Gate, Hold, RunPlan
from commands.weeks import Week, week_containing
from storage.channel_settings import ChannelSettings
from storage.db import Database
from storage.spend import Spend, channel_spend

WARN_PERCENT = 80
FRAMING_TOKENS = 64  # the request's own tokens around the task (role markers, message boundaries)


def week_spend(database: Database, channel_id: str, now: float, tz: str) -> tuple[Week, Spend]:
    """The channel's spend in the week (ROUTEBOT_TZ, Monday to Monday) that contains `now`."""
    week = week_containing(now, tz)
    return week, channel_spend(database, channel_id, week.start, week.end)


def budget_reached(spend: Spend, budget_nanousd: int | None) -> bool:
    """Spent plus held by runs in flight at or over the budget: no new run starts. No budget: never."""
    return budget_nanousd is not None and spend.committed_nanousd >= budget_nanousd


def most_a_run_can_cost(policy: Policy, plan: RunPlan, max_output_tokens: int, at: float) -> int | None:
    """What the planned run holds against the budget while in flight, at the prices of `at`; None when its
    model has no price."""
    task_bytes = len((plan.request.task or "").encode())
    tokens = TokenCounts(input_tokens=task_bytes + FRAMING_TOKENS, output_tokens=max_output_tokens)
    price = price_of_run(policy, plan.provider, plan.choice.model, tokens, at)
    return price.nanousd if price else None


def warning_due(spend: Spend, budget_nanousd: int | None) -> bool:
    """At WARN_PERCENT of a positive budget or more (integer arithmetic: no rounding at the threshold)."""
    if not budget_nanousd:
        return False
    return spend.known_nanousd * 100 >= budget_nanousd * WARN_PERCENT


def unknown_note(spend: Spend) -> str:
    """ " plus N runs at an unknown price (not counted)", or nothing when every run had a price."""
    if not spend.unknown_runs:
        return ""
    runs = "run" if spend.unknown_runs == 1 else "runs"
    return f", plus {spend.unknown_runs} {runs} at an unknown price (not counted: the policy has no price)"


def spend_line(spend: Spend, budget_nanousd: int | None) -> str:
    """ "$12.00 of $50.00 (24%)", naming unknown-price runs; never "$0" when every run's price is unknown."""
    of_budget = "no budget" if budget_nanousd is None else f"budget {usd(budget_nanousd)}"
    if spend.unknown_runs and spend.unknown_runs == spend.runs:
        runs = "run" if spend.unknown_runs == 1 else "runs"
        return f"unknown: {spend.unknown_runs} {runs} at a price the policy does not know ({of_budget})"
    if not budget_nanousd:
        text = f"{usd(spend.known_nanousd)} ({of_budget})"
    else:
        percent = spend.known_nanousd * 100 // budget_nanousd
        text = f"{usd(spend.known_nanousd)} of {usd(budget_nanousd)} ({percent}%)"
    return text + unknown_note(spend) + held_note(spend)


def held_note(spend: Spend) -> str:
    """ " and $0.62 is held by 3 runs still in progress", or nothing when none is."""
    if not spend.held_runs:
        return ""
    runs = "1 run" if spend.held_runs == 1 else f"{spend.held_runs} runs"
    return f", and {usd(spend.held_nanousd)} is held by {runs} still in progress (the most they can cost)"


def exceeded_message(spend: Spend, budget_nanousd: int, week: Week, who: str) -> str:
    if spend.held_runs and spend.known_nanousd < budget_nanousd:
        until = "until they finish (what they don't spend is released) or next week"
    else:
        until = "until next week"
    return (
        f"This channel has spent {usd(spend.known_nanousd)} of its {usd(budget_nanousd)} weekly budget "
        f"({week.label}){unknown_note(spend)}{held_note(spend)}, so no new run starts {until}. "
        f"{sentence_case(who)} can raise the budget with `/route settings`."
    )


def warning_message(spend: Spend, budget_nanousd: int, week: Week, who: str) -> str:
    percent = spend.known_nanousd * 100 // budget_nanousd
    return (
        f":warning: This channel has used {usd(spend.known_nanousd)} of its {usd(budget_nanousd)} "
        "weekly budget "
        f"({percent}%, {week.label}){unknown_note(spend)}. At 100% new runs stop until next week; "
        f"{who} can raise the budget with `/route settings`."
    )


def budget_gate(
    settings_of: Callable[[str], ChannelSettings],
    database: Database,
    clock: Callable[[], float],
    tz: str,
    who: str,
) -> Gate:
    """A RunService gate: refuse to start a run once the channel's week has reached its budget."""

    def gate(plan: RunPlan, user_id: str) -> None:
        refuse_when_reached(plan.request.channel_id, settings_of, database, clock(), tz, who)

    return gate


def budget_hold(
    settings_of: Callable[[str], ChannelSettings],
    database: Database,
    clock: Callable[[], float],
    tz: str,
    who: str,
    policy: Policy,
    max_output_tokens: int,
) -> Hold:
    """The RunService hold: inside the claim's transaction, check the budget again (runs claimed since the
    gate count now) and return what the run will hold against it. Channels without a budget hold nothing."""

    def hold(plan: RunPlan) -> int | None:
        now = clock()
        if refuse_when_reached(plan.request.channel_id, settings_of, database, now, tz, who) is None:
            return None
        return most_a_run_can_cost(policy, plan, max_output_tokens, now)

    return hold


def refuse_when_reached(
    channel: str,
    settings_of: Callable[[str], ChannelSettings],
    database: Database,
    now: float,
    tz: str,
    who: str,
) -> int | None:
    """Raise BudgetExceeded when the channel's week is spent or held up to its budget; returns the budget."""
    budget = settings_of(channel).budget_nanousd
    if budget is None:
        return None
    week, spend = week_spend(database, channel, now, tz)
    if budget_reached(spend, budget):
        raise BudgetExceeded(
            exceeded_message(spend, budget, week, who),
            spent_nanousd=spend.known_nanousd,
            budget_nanousd=budget,
            unknown_runs=spend.unknown_runs,
        )
    return budget
