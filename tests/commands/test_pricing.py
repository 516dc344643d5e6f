"""Exact costs from reported tokens, for each provider's counting convention."""

from __future__ import annotations

from commands.policy import load_policy
from commands.pricing import price_of_run, usd
from commands.providers import TokenCounts

POLICY = load_policy()


def test_anthropic_input_excludes_cache_which_is_billed_at_its_own_rates() -> None:
    cost = price_of_run(
        POLICY, "anthropic", "claude-opus-4-6", TokenCounts(1_000_000, 0, 1_000_000, 1_000_000)
    )
    assert cost == (5_000_000_000 + 500_000_000 + 6_250_000_000)


def test_openai_cached_tokens_are_inside_input_and_reasoning_inside_output() -> None:
    tokens = TokenCounts(
        input_tokens=100_000, output_tokens=100_000, cache_read_tokens=40_000, reasoning_tokens=90_000
    )
    assert (
        price_of_run(POLICY, "openai", "gpt-5.4", tokens) == 60_000 * 2_500 + 40_000 * 250 + 100_000 * 15_000
    )


def test_openai_cache_writes_are_input_tokens_when_no_write_rate_is_published() -> None:
    with_writes = TokenCounts(input_tokens=1000, output_tokens=0, cache_write_tokens=600)
    without = TokenCounts(input_tokens=1000, output_tokens=0)
    assert price_of_run(POLICY, "openai", "gpt-5.4", with_writes) == price_of_run(
        POLICY, "openai", "gpt-5.4", without
    )


def test_gpt_5_4_long_context_rates_apply_above_272k_input() -> None:
    short = price_of_run(POLICY, "openai", "gpt-5.4", TokenCounts(272_000, 1000))
    long = price_of_run(POLICY, "openai", "gpt-5.4", TokenCounts(272_001, 1000))
    assert short == 272_000 * 2_500 + 1000 * 15_000
    assert long == 272_001 * 5_000 + 1000 * 22_500


def test_fractional_rates_stay_exact() -> None:
    # gpt-5.3-codex cache read is $0.175/M: 3 tokens cost 525 nano-dollars exactly.
    assert price_of_run(POLICY, "openai", "gpt-5.3-codex", TokenCounts(3, 0, 3)) == 525


def test_unknown_model_or_missing_rate_is_unknown_not_zero() -> None:
    assert price_of_run(POLICY, "anthropic", "claude-unknown", TokenCounts(10, 10)) is None
    assert price_of_run(POLICY, "openai", "gpt-5.4", TokenCounts(10, 0, 20)) is None  # counts contradict
    assert usd(None) == "unknown"


def test_money_formatting_keeps_small_amounts_visible() -> None:
    assert usd(4_200_000) == "$0.004200"
    assert usd(61_000_000) == "$0.0610"
    assert usd(12_345_000_000) == "$12.35"
    assert usd(0) == "$0.00"
