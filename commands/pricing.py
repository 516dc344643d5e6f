"""What a run cost, exactly, from the token counts the API reported and the model's rates.

Rates come from the genai-prices catalog bundled with routebot (its embedded data, never fetched: nothing
here starts its UpdatePrices task) unless the policy's [prices] names the model, which then overrides the
catalog (a negotiated rate, a model the catalog lacks). Each price says which of the two it came from.

The providers count differently, and getting it wrong silently misstates spend:
- Anthropic's `input_tokens` excludes cache reads and cache writes; each is billed at its own rate.
- OpenAI's `input_tokens` includes `cached_tokens` (billed at the cache-read rate) and any cache writes
  (billed at the input rate unless the rates have a cache-write one); reasoning tokens are already inside
  `output_tokens` for both, so they are billed as output and never added again.
- Above a size (GPT-5.4: 272K input tokens) some models bill the whole request at higher rates; the size is
  the request's input, cache included, as the catalog counts it.
A model without a price, or a token class its rates do not price, gives None: unknown, never $0.
Amounts are integer nano-dollars (1e-9 USD), so sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING

from commands.policy import Policy, Price
from commands.providers import TokenCounts

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import TieredPrices

NANO_PER_USD = 1_000_000_000
_NANO_PER_TOKEN = Decimal(NANO_PER_USD) / Decimal(1_000_000)  # $/M tokens -> nano-dollars per token
POLICY_SOURCE = "policy"

# Providers whose input_tokens already count the cached tokens (the catalog's own convention). The others
# report cache reads and writes beside input, so a request's size is their sum.
_INPUT_INCLUDES_CACHE = frozenset({"openai"})
_SIZE_OF = ("input_tokens",)
_SIZE_APART = ("input_tokens", "cache_read_tokens", "cache_write_tokens")


@dataclass(frozen=True)
class Rates:
    """USD per million tokens for one request size; None where no such rate is published."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None


@dataclass(frozen=True)
class ModelRates:
    """A model's rates as in force at one time, and where they came from (the catalog and its version)."""

    provider: str
    model: str
    source: str
    base: Rates
    tiers: tuple[tuple[int, Rates], ...] = ()  # (above this request size, rates for the whole request)

    def at(self, size: int) -> Rates:
        """The rates for a request of `size` input tokens: the highest tier it is above, else the base."""
        for above, rates in reversed(self.tiers):
            if size > above:
                return rates
        return self.base

    @property
    def thresholds(self) -> tuple[int, ...]:
        return tuple(above for above, _ in self.tiers)


@dataclass(frozen=True)
class RunPrice:
    nanousd: int
    source: str  # "genai-prices 0.2.3" or "policy"


def rates_of(policy: Policy, provider: str, model: str, at: float) -> ModelRates | None:
    """The model's rates at Unix time `at`: the policy's price if it has one, else the catalog's, or None."""
    price = policy.price_of(model)
    if price is not None:
        return _from_policy(provider, price)
    return _from_catalog(provider, model, at)


def price_of_run(
    policy: Policy, provider: str, model: str, tokens: TokenCounts, at: float
) -> RunPrice | None:
    """What the run cost in nano-dollars (rounded half to even once), or None when it is unknown."""
    rates = rates_of(policy, provider, model, at)
    if rates is None:
        return None
    exact = exact_cost(rates, tokens)
    return None if exact is None else RunPrice(to_nanousd(exact), rates.source)


def exact_cost(rates: ModelRates, tokens: TokenCounts, *, size: int | None = None) -> Decimal | None:
    """Nano-dollars, unrounded. `tokens` may add up several requests of one tier: then `size` is one of
    theirs (the rates depend on each request's size, not on the sum)."""
    apart = rates.provider not in _INPUT_INCLUDES_CACHE
    r = rates.at(size if size is not None else request_size(rates.provider, tokens))
    read, write = r.cache_read or Decimal(0), r.cache_write or Decimal(0)
    if tokens.cache_read_tokens and r.cache_read is None:
        return None
    write_apart = apart or r.cache_write is not None
    if write_apart and tokens.cache_write_tokens and r.cache_write is None:
        return None
    uncached = tokens.input_tokens
    if not apart:
        uncached -= tokens.cache_read_tokens + (tokens.cache_write_tokens if write_apart else 0)
        if uncached < 0:
            return None  # the counts contradict each other: refuse to guess
    total = Decimal(uncached) * r.input + Decimal(tokens.output_tokens) * r.output
    total += Decimal(tokens.cache_read_tokens) * read
    if write_apart:
        total += Decimal(tokens.cache_write_tokens) * write
    return total * _NANO_PER_TOKEN


def may_refuse_a_priced_run(rates: ModelRates) -> bool:
    """Whether a run priced on another model of the same provider can be of unknown price at these rates.

    It can when these rates lack a rate for a cache class (that run may report it), or, for a provider that
    counts cache inside input, when they bill cache writes apart (more cache than input: counts that
    contradict each other). Re-pricing then keeps such runs apart (storage/repricing.py).
    """
    apart = rates.provider not in _INPUT_INCLUDES_CACHE
    for r in (rates.base, *(tier for _, tier in rates.tiers)):
        if r.cache_read is None or (r.cache_write is None) == apart:
            return True
    return False


def request_size(provider: str, tokens: TokenCounts) -> int:
    """A request's input tokens, cache included: what a model's size tiers are measured on."""
    return sum(getattr(tokens, name) for name in size_fields(provider))


def size_fields(provider: str) -> tuple[str, ...]:
    """The TokenCounts fields that add up to a request's size for this provider."""
    return _SIZE_OF if provider in _INPUT_INCLUDES_CACHE else _SIZE_APART


def to_nanousd(exact: Decimal) -> int:
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


def catalog_source() -> str:
    import genai_prices  # on first use, as in _catalog

    return f"genai-prices {genai_prices.__version__}"


def _from_policy(provider: str, price: Price) -> ModelRates:
    base = Rates(price.input, price.output, price.cache_read, price.cache_write)
    tiers: tuple[tuple[int, Rates], ...] = ()
    if price.long_context is not None:
        lc = price.long_context
        tiers = ((lc.above_input_tokens, Rates(lc.input, lc.output, lc.cache_read, price.cache_write)),)
    return ModelRates(provider, price.model, POLICY_SOURCE, base, tiers)


def _from_catalog(provider: str, model: str, at: float) -> ModelRates | None:
    from genai_prices.types import TieredPrices  # loaded with the catalog

    try:
        _, info = _catalog().find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    prices = info.get_prices(datetime.fromtimestamp(at, UTC))
    # cache_write_mtok is the 5-minute write, the one routebot's requests make; the 1-hour rate is apart.
    keys = ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok")
    values: list[Decimal | TieredPrices | None] = [getattr(prices, key) for key in keys]
    if values[0] is None or values[1] is None:
        return None  # priced per request or per second, not per token: not something routebot runs
    starts = sorted({t.start for v in values if isinstance(v, TieredPrices) for t in v.tiers})

    def rates(size: int) -> Rates:
        at_size = [_rate_at(v, size) for v in values]
        return Rates(at_size[0] or Decimal(0), at_size[1] or Decimal(0), at_size[2], at_size[3])

    tiers = tuple((start, rates(start + 1)) for start in starts)
    return ModelRates(provider, model, catalog_source(), rates(0), tiers)


def _rate_at(value: Decimal | TieredPrices | None, size: int) -> Decimal | None:
    """The catalog's rule: a tier's rate applies to a whole request above the tier's start."""
    if value is None or isinstance(value, Decimal):
        return value
    for tier in reversed(value.tiers):
        if size > tier.start:
            return tier.price
    return value.base


@cache
def _catalog() -> DataSnapshot:
    # Imported on first use: the catalog takes about half a second to load, and `routebot route` never
    # prices anything. get_snapshot() is the bundled data unless UpdatePrices ran; routebot never starts it.
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


def usd(nanousd: int | None) -> str:
    """Money for people: enough digits that small runs don't read as $0.00; unknown says so."""
    if nanousd is None:
        return "unknown"
    dollars = Decimal(nanousd) / NANO_PER_USD
    places = 2 if dollars >= 1 or dollars == 0 else 4 if dollars >= Decimal("0.01") else 6
    # Display only: half-up, as people round money; stored amounts are never rounded.
    shown = dollars.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"${shown:,.{places}f}"


def rate_card(rates: ModelRates | None) -> str:
    if rates is None:
        return "no known price"
    return f"${rates.base.input:.2f} in / ${rates.base.output:.2f} out per million tokens"
