"""What a run cost, exactly, from the token counts the API reported and the policy's prices.

The providers count differently, and getting it wrong silently misstates spend:
- Anthropic's `input_tokens` excludes cache reads and cache writes; each is billed at its own rate.
- OpenAI's `input_tokens` includes `cached_tokens` (billed at the cache-read rate) and any cache writes
  (billed at the input rate unless the policy sets a cache_write rate); reasoning tokens are already
  inside `output_tokens`, so they are never added again.
A model without a price, or a token class the price has no rate for, gives None: unknown, never $0.
Amounts are integer nano-dollars (1e-9 USD), so sums are exact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from commands.policy import Policy, Price
from commands.providers import TokenCounts

NANO_PER_USD = 1_000_000_000
_PER_TOKEN = Decimal(NANO_PER_USD) / Decimal(1_000_000)  # $/M tokens -> nano-dollars per token


def price_of_run(policy: Policy, provider: str, model: str, tokens: TokenCounts) -> int | None:
    price = policy.price_of(model)
    if price is None:
        return None
    if provider == "openai":
        return _openai_cost(price, tokens)
    return _anthropic_cost(price, tokens)


def _anthropic_cost(price: Price, t: TokenCounts) -> int | None:
    parts = [
        (t.input_tokens, price.input),
        (t.output_tokens, price.output),
        (t.cache_read_tokens, price.cache_read),
        (t.cache_write_tokens, price.cache_write),
    ]
    return _total(parts)


def _openai_cost(price: Price, t: TokenCounts) -> int | None:
    rates_in, rates_out, rates_read = price.input, price.output, price.cache_read
    if price.long_context and t.input_tokens > price.long_context.above_input_tokens:
        lc = price.long_context
        rates_in, rates_out, rates_read = lc.input, lc.output, lc.cache_read
    cache_write_rate = price.cache_write
    write_apart = t.cache_write_tokens if cache_write_rate is not None else 0
    uncached = t.input_tokens - t.cache_read_tokens - write_apart
    if uncached < 0:
        return None  # the counts contradict each other: refuse to guess
    parts = [
        (uncached, rates_in),
        (t.output_tokens, rates_out),
        (t.cache_read_tokens, rates_read),
        (write_apart, cache_write_rate),
    ]
    return _total(parts)


def _total(parts: list[tuple[int, Decimal | None]]) -> int | None:
    total = Decimal(0)
    for tokens, rate in parts:
        if not tokens:
            continue
        if rate is None:
            return None
        total += Decimal(tokens) * rate * _PER_TOKEN
    return int(total.to_integral_value(rounding=ROUND_HALF_EVEN))


def usd(nanousd: int | None) -> str:
    """Money for people: enough digits that small runs don't read as $0.00; unknown says so."""
    if nanousd is None:
        return "unknown"
    dollars = Decimal(nanousd) / NANO_PER_USD
    places = 2 if dollars >= 1 or dollars == 0 else 4 if dollars >= Decimal("0.01") else 6
    # Display only: half-up, as people round money; stored amounts are never rounded.
    shown = dollars.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"${shown:,.{places}f}"


def rate_card(price: Price | None) -> str:
    if price is None:
        return "no known price"
    return f"${price.input:.2f} in / ${price.output:.2f} out per million tokens"
