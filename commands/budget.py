"""Weekly channel budgets: when a run may not start, when the channel is warned, and what people are told.

Spend is the week's succeeded runs with a known price (storage/spend.py). Runs whose model has no price are
counted apart and always named as unknown: they never count as $0, and they never block a run on their own.
Runs already in flight when the budget is reached finish; the budget stops the next one.
"""

from __future__ import annotations

from collections.abc import Callable

from commands.approvers import sentence_case
from commands.errors import BudgetExceeded
from commands.pricing import usd
from commands.runs import Gate, RunPlan
from commands.weeks import Week, week_containing
from storage.channel_settings import ChannelSettings
from storage.db import Database
from storage.spend import Spend, channel_spend

WARN_PERCENT = 80


def week_spend(database: Database, channel_id: str, now: float, tz: str) -> tuple[Week, Spend]:
    """The channel's spend in the week (ROUTEBOT_TZ, Monday to Monday) that contains `now`."""
    week = week_containing(now, tz)
    return week, channel_spend(database, channel_id, week.start, week.end)


def budget_reached(spend: Spend, budget_nanousd: int | None) -> bool:
    """At or over the budget: no new run starts. No budget: never."""
    return budget_nanousd is not None and spend.known_nanousd >= budget_nanousd


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
    return text + unknown_note(spend)


def exceeded_message(spend: Spend, budget_nanousd: int, week: Week, who: str) -> str:
    return (
        f"This channel has spent {usd(spend.known_nanousd)} of its {usd(budget_nanousd)} weekly budget "
        f"({week.label}){unknown_note(spend)}, so no new run starts until next week. "
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
        channel = plan.request.channel_id
        budget = settings_of(channel).budget_nanousd
        if budget is None:
            return
        week, spend = week_spend(database, channel, clock(), tz)
        if budget_reached(spend, budget):
            message = exceeded_message(spend, budget, week, who)
            raise BudgetExceeded(
                message,
                spent_nanousd=spend.known_nanousd,
                budget_nanousd=budget,
                unknown_runs=spend.unknown_runs,
            )

    return gate
