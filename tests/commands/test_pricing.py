"""Exact costs from reported tokens, in each provider's counting convention, from catalog or policy."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from commands.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from commands.pricing import POLICY_SOURCE, catalog_source, price_of_run, rate_card, rates_of, usd
from commands.providers import TokenCounts

POLICY = load_policy()
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()


def _cost(
    provider: str, model: str, tokens: TokenCounts, policy: Policy = POLICY, at: float = NOW
) -> int | None:
    price = price_of_run(policy, provider, model, tokens, at)
    return price.nanousd if price else None


def _policy(tmp_path: Path, extra: str, *, old: str = "", new: str = "") -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace(old, new) + extra)
    return load_policy(path)


def test_anthropic_input_excludes_cache_which_is_billed_at_its_own_rates() -> None:
    cost = _cost("anthropic", "claude-opus-4-6", TokenCounts(1_000_000, 0, 1_000_000, 1_000_000))
    assert cost == (5_000_000_000 + 500_000_000 + 6_250_000_000)


def test_openai_cached_tokens_are_inside_input_and_reasoning_inside_output() -> None:
    tokens = TokenCounts(
        input_tokens=100_000, output_tokens=100_000, cache_read_tokens=40_000, reasoning_tokens=90_000
    )
    assert _cost("openai", "gpt-5.4", tokens) == 60_000 * 2_500 + 40_000 * 250 + 100_000 * 15_000


def test_reasoning_tokens_are_billed_as_output_once() -> None:
    for provider, model in (("anthropic", "claude-sonnet-4-6"), ("openai", "gpt-5.4")):
        thinking = _cost(provider, model, TokenCounts(1_000, 5_000, reasoning_tokens=4_000))
        assert (
            thinking
            == _cost(provider, model, TokenCounts(1_000, 5_000))
            != _cost(provider, model, TokenCounts(1_000, 1_000))
        )


def test_openai_cache_writes_are_input_tokens_when_no_write_rate_is_published() -> None:
    with_writes = TokenCounts(input_tokens=1000, output_tokens=0, cache_write_tokens=600)
    without = TokenCounts(input_tokens=1000, output_tokens=0)
    assert _cost("openai", "gpt-5.4", with_writes) == _cost("openai", "gpt-5.4", without)


def test_gpt_5_4_long_context_rates_apply_above_272k_input() -> None:
    short = _cost("openai", "gpt-5.4", TokenCounts(272_000, 1000))
    long = _cost("openai", "gpt-5.4", TokenCounts(272_001, 1000))
    assert short == 272_000 * 2_500 + 1000 * 15_000
    assert long == 272_001 * 5_000 + 1000 * 22_500
    cached = _cost("openai", "gpt-5.4", TokenCounts(300_000, 0, 100_000))  # the whole request, cache too
    assert cached == 200_000 * 5_000 + 100_000 * 500


def test_fractional_rates_stay_exact() -> None:
    # gpt-5.3-codex cache read is $0.175/M: 3 tokens cost 525 nano-dollars exactly.
    assert _cost("openai", "gpt-5.3-codex", TokenCounts(3, 0, 3)) == 525


def test_the_catalogs_prices_follow_the_date_of_the_run() -> None:
    # Sonnet 4.6 billed requests over 200K input tokens at long-context rates until 13 March 2026.
    big = TokenCounts(150_000, 1_000, 60_000)  # 210K of input, cache reads included
    before = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    assert (
        _cost("anthropic", "claude-sonnet-4-6", big, at=before)
        == 150_000 * 6_000 + 1_000 * 22_500 + 60_000 * 600
    )
    assert _cost("anthropic", "claude-sonnet-4-6", big) == 150_000 * 3_000 + 1_000 * 15_000 + 60_000 * 300


def test_a_run_records_the_catalog_and_its_version() -> None:
    import genai_prices

    price = price_of_run(POLICY, "anthropic", "claude-haiku-4-5", TokenCounts(2_000, 500), NOW)
    assert price is not None and price.nanousd == 4_500_000
    assert price.source == catalog_source() == f"genai-prices {genai_prices.__version__}"


def test_a_model_the_catalog_knows_needs_no_price_in_the_policy(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        "",
        old='models.anthropic = { model = "claude-opus-4-6" }',
        new='models.anthropic = { model = "claude-opus-4-7" }',
    )
    assert policy.lane("premium").models["anthropic"].model == "claude-opus-4-7" and not policy.prices
    price = price_of_run(policy, "anthropic", "claude-opus-4-7", TokenCounts(1_000, 1_000, 1_000, 1_000), NOW)
    assert price is not None and price.source == catalog_source()
    assert price.nanousd == 1_000 * (5_000 + 25_000 + 500 + 6_250)


def test_a_policy_price_overrides_the_catalog_and_says_so(tmp_path: Path) -> None:
    negotiated = """
[prices."claude-sonnet-4-6"]
input = 2.70
output = 13.50
cache_read = 0.27
cache_write = 3.375
as_of = "2026-11-25"
source = "our enterprise agreement"
"""
    policy = _policy(tmp_path, negotiated)
    price = price_of_run(
        policy, "anthropic", "claude-sonnet-4-6", TokenCounts(1_000, 1_000, 1_000, 1_000), NOW
    )
    assert price is not None and price.source == POLICY_SOURCE
    assert price.nanousd == 2_700_000 + 13_500_000 + 270_000 + 3_375_000
    assert rate_card(rates_of(policy, "anthropic", "claude-sonnet-4-6", NOW)) == (
        "$2.70 in / $13.50 out per million tokens"
    )
    assert _cost("anthropic", "claude-haiku-4-5", TokenCounts(2_000, 500), policy) == 4_500_000  # catalog


def test_a_model_neither_knows_is_unknown_not_zero(tmp_path: Path) -> None:
    assert price_of_run(POLICY, "anthropic", "claude-unknown", TokenCounts(10, 10), NOW) is None
    assert (
        price_of_run(POLICY, "openai", "claude-haiku-4-5", TokenCounts(10, 10), NOW) is None
    )  # wrong provider
    assert rates_of(POLICY, "openai", "legacy-model-1", NOW) is None
    assert rate_card(None) == "no known price"
    assert usd(None) == "unknown"


def test_counts_that_contradict_or_a_missing_rate_are_unknown(tmp_path: Path) -> None:
    assert _cost("openai", "gpt-5.4", TokenCounts(10, 0, 20)) is None  # more cached than input
    no_cache_rates = """
[prices."house-model-1"]
input = 1.00
output = 2.00
as_of = "2026-11-25"
source = "a model the catalog lacks"
"""
    policy = _policy(tmp_path, no_cache_rates)
    assert _cost("anthropic", "house-model-1", TokenCounts(1_000, 1_000), policy) == 3_000_000
    assert _cost("anthropic", "house-model-1", TokenCounts(1_000, 1_000, 5), policy) is None
    assert _cost("anthropic", "house-model-1", TokenCounts(1_000, 1_000, 0, 5), policy) is None
    assert (
        _cost("openai", "house-model-1", TokenCounts(1_000, 1_000, 0, 5), policy) == 3_000_000
    )  # inside input


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("anthropic", "claude-haiku-4-5"),
        ("anthropic", "claude-sonnet-4-6"),
        ("anthropic", "claude-opus-4-6"),
        ("openai", "gpt-5.4"),
        ("openai", "gpt-5.3-codex"),
    ],
)
@pytest.mark.parametrize("when", ["2026-02-01", "2026-11-25"])
def test_costs_agree_with_genai_prices_own_calculation(provider: str, model: str, when: str) -> None:
    """routebot's arithmetic against the catalog library's calc_price, on its own usage convention."""
    at = datetime.fromisoformat(when).replace(tzinfo=UTC)
    for tokens in (
        TokenCounts(1, 1),
        TokenCounts(12_345, 678, 0, 0, 300),
        TokenCounts(150_000, 4_000, 60_000, 0),
        TokenCounts(40_000, 2_000, 10_000, 5_000 if provider == "anthropic" else 0),
        TokenCounts(272_001, 9_000, 100_000),
        TokenCounts(500_000, 1, 499_999),
    ):
        cache = tokens.cache_read_tokens + tokens.cache_write_tokens
        usage = Usage(
            input_tokens=tokens.input_tokens + (cache if provider == "anthropic" else 0),
            output_tokens=tokens.output_tokens,
            cache_read_tokens=tokens.cache_read_tokens,
            cache_write_tokens=tokens.cache_write_tokens,
        )
        theirs = calc_price(usage, model, provider_id=provider, genai_request_timestamp=at).total_price
        assert _cost(provider, model, tokens, at=at.timestamp()) == int(theirs * 1_000_000_000), tokens


def test_money_formatting_keeps_small_amounts_visible() -> None:
    assert usd(4_200_000) == "$0.004200"
    assert usd(61_000_000) == "$0.0610"
    assert usd(12_345_000_000) == "$12.35"
    assert usd(0) == "$0.00"
    assert Decimal(usd(10**9)[1:]) == 1
