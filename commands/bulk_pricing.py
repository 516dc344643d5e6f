"""What a group of runs would have cost on the premium lane, priced from their summed token counts.

The digest cannot re-price a million runs one by one, so storage/digests.py groups them wherever
commands.pricing.price_of_run branches (provider, long context, which cache classes are present, counts that
contradict each other). Inside such a group the price is linear in the token counts, so pricing the sums
gives the sum of the per-run prices; rounding happens once per group instead of once per run, which is exact
whenever every rate is a whole number of nano-dollars per token (true of every price in policy.toml).
tests/commands/test_digest.py checks this against price_of_run run by run.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from commands.policy import Policy, Price
from commands.pricing import NANO_PER_USD
from storage.digests import RunGroup

_NANO_PER_TOKEN = Decimal(NANO_PER_USD) / Decimal(1_000_000)


def premium_thresholds(policy: Policy) -> dict[str, int]:
    """Input sizes above which the premium model's long-context rates apply (OpenAI's only, as in pricing)."""
    choice = policy.lane("premium").models.get("openai")
    price = policy.price_of(choice.model) if choice else None
    return {"openai": price.long_context.above_input_tokens} if price and price.long_context else {}


def premium_cost(policy: Policy, group: RunGroup) -> int | None:
    """The group's runs re-priced on the premium lane's model for their provider; None when unknown."""
    choice = policy.lane("premium").models.get(group.provider)
    price = policy.price_of(choice.model) if choice else None
    if price is None:
        return None
    if group.provider != "openai":
        g = group
        return _total([(g.input_tokens, price.input), (g.output_tokens, price.output),
                       (g.cache_read_tokens, price.cache_read), (g.cache_write_tokens, price.cache_write)])
    return _openai_total(price, group)


def _openai_total(price: Price, g: RunGroup) -> int | None:
    rate_in, rate_out, rate_read = price.input, price.output, price.cache_read
    if price.long_context and g.long_context:
        lc = price.long_context
        rate_in, rate_out, rate_read = lc.input, lc.output, lc.cache_read
    apart = price.cache_write is not None
    if g.input_below_reads_and_writes if apart else g.input_below_reads:
        return None
    write = g.cache_write_tokens if apart else 0
    return _total([(g.input_tokens - g.cache_read_tokens - write, rate_in), (g.output_tokens, rate_out),
                   (g.cache_read_tokens, rate_read), (write, price.cache_write)])


def _total(parts: list[tuple[int, Decimal | None]]) -> int | None:
    total = Decimal(0)
    for tokens, rate in parts:
        if not tokens:
            continue
        if rate is None:
            return None
        total += Decimal(tokens) * rate * _NANO_PER_TOKEN
    return int(total.to_integral_value(rounding=ROUND_HALF_EVEN))
