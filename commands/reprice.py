"""What runs would have cost on the premium lane: commands.pricing's rules as whole-number rates for SQL.

The digest re-prices every succeeded run of the week, so the re-pricing runs inside SQLite rather than a
million calls to price_of_run. These rules carry the same provider rules as commands/pricing.py: Anthropic
bills cache reads and writes apart from input; OpenAI's input includes cached tokens (and cache writes unless
the price has a cache_write rate); GPT-5.4's long-context rates above its input threshold; a token class
with no rate makes the price unknown. Rates are scaled to whole numbers and the sum is rounded half to even
once per run, so the result is price_of_run's to the nano-dollar (tests/commands/test_digest.py checks it).
"""

from __future__ import annotations

from decimal import Decimal

from commands.policy import PROVIDERS, Policy, Price
from commands.pricing import NANO_PER_USD
from storage.repricing import RepriceRule, TokenRates

_NANO_PER_TOKEN = Decimal(NANO_PER_USD) / Decimal(1_000_000)  # $/M tokens -> nano-dollars per token


def premium_rules(policy: Policy) -> tuple[RepriceRule, ...]:
    """A rule per provider whose premium-lane model has a price; other providers' runs re-price as unknown."""
    rules = []
    for provider in PROVIDERS:
        choice = policy.lane("premium").models.get(provider)
        price = policy.price_of(choice.model) if choice else None
        if price is not None:
            rules.append(_rule(provider, price))
    return tuple(rules)


def _rule(provider: str, price: Price) -> RepriceRule:
    lc = price.long_context if provider == "openai" else None
    rates = [price.input, price.output, price.cache_read, price.cache_write]
    if lc is not None:
        rates += [lc.input, lc.output, lc.cache_read]
    scale = _scale([r for r in rates if r is not None])

    def whole(rate: Decimal | None) -> int | None:
        return None if rate is None else int((rate * _NANO_PER_TOKEN * scale).to_integral_value())

    def of(i: Decimal, o: Decimal, r: Decimal | None) -> TokenRates:
        return TokenRates(whole(i) or 0, whole(o) or 0, whole(r), whole(price.cache_write))

    return RepriceRule(
        provider=provider,
        scale=scale,
        rates=of(price.input, price.output, price.cache_read),
        input_includes_cache=provider == "openai",
        long_context_above=lc.above_input_tokens if lc else None,
        long_context=of(lc.input, lc.output, lc.cache_read) if lc else None,
    )


def _scale(rates: list[Decimal]) -> int:
    """The smallest power of ten making every rate a whole number of (scaled) nano-dollars per token.

    Capped at 10**6 (a millionth of a nano-dollar per token) so the sums stay far inside SQLite's 64 bits.
    """
    scale = 1
    while scale < 10**6 and any((r * _NANO_PER_TOKEN * scale) % 1 for r in rates):
        scale *= 10
    return scale
