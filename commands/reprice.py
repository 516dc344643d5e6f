"""What runs would have cost on the premium lane, priced by commands.pricing from storage's token sums.

storage/repricing.py adds up a week's runs in groups that price alike; each group is priced here at the
premium lane's rates for its provider, once, so a million runs cost a few hundred prices, not a million.
Pricing a group's sums gives the exact sum of its runs' exact prices, rounded half to even once for the
whole comparison (tests/commands/test_digest.py checks it against the runs priced one by one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from commands.policy import Policy
from commands.pricing import (
    ModelRates,
    exact_cost,
    may_refuse_a_priced_run,
    rates_of,
    size_fields,
    to_nanousd,
)
from commands.providers import TokenCounts
from storage.repricing import SizeBands, TokenGroup


@dataclass(frozen=True)
class Repriced:
    premium_nanousd: int  # the compared runs on the premium lane
    actual_nanousd: int  # what the same runs cost
    runs: int  # runs compared: of known price, with a known premium re-price


def premium_rates(policy: Policy, at: float) -> dict[str, ModelRates]:
    """The premium lane's rates for each provider whose premium model has a price at `at`."""
    rates = {}
    for provider, choice in policy.lane(policy.roles.premium).models.items():
        found = rates_of(policy, provider, choice.model, at)
        if found is not None:
            rates[provider] = found
    return rates


def size_bands(rates: Mapping[str, ModelRates]) -> tuple[SizeBands, ...]:
    """How storage must split each provider's runs so that the runs of a group price alike."""
    return tuple(
        SizeBands(p, size_fields(p), r.thresholds, by_shape=may_refuse_a_priced_run(r))
        for p, r in rates.items()
    )


def reprice(groups: Sequence[TokenGroup], rates: Mapping[str, ModelRates]) -> Repriced:
    premium, actual, runs = Decimal(0), 0, 0
    for g in groups:
        found = rates.get(g.provider)
        tokens = TokenCounts(g.input_tokens, g.output_tokens, g.cache_read_tokens, g.cache_write_tokens)
        cost = exact_cost(found, tokens, size=g.size_floor) if found is not None else None
        if cost is None:
            continue  # unknown on premium: these runs are left out of the comparison
        premium += cost
        actual += g.cost_nanousd
        runs += g.runs
    return Repriced(to_nanousd(premium), actual, runs)
