"""Re-pricing runs inside SQLite: a RepriceRule per provider becomes one SQL expression.

commands/reprice.py turns the policy's premium prices into these rules (the pricing rules live there); this
module only writes them as SQL, so a week's runs are re-priced where they are stored, once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenRates:
    """Nano-dollars per token times the rule's scale, so every rate is a whole number; None: no such rate."""

    input: int
    output: int
    cache_read: int | None
    cache_write: int | None


@dataclass(frozen=True)
class RepriceRule:
    """How to price one provider's runs on another model, in SQL, exactly as commands.pricing would."""

    provider: str
    scale: int  # the rates are multiplied by this; the sum is divided back and rounded half to even
    rates: TokenRates
    input_includes_cache: bool  # OpenAI: input_tokens counts cache reads (and writes without their own rate)
    long_context_above: int | None = None
    long_context: TokenRates | None = None


def premium_expression(rules: Sequence[RepriceRule]) -> tuple[str, list[Any]]:
    """A SQL expression giving each run's re-price in nano-dollars, NULL where it is unknown."""
    if not rules:
        return "NULL", []
    whens = []
    params: list[Any] = []
    for rule in rules:
        expr = _priced(rule, rule.rates)
        if rule.long_context_above is not None and rule.long_context is not None:
            expr = (
                f"CASE WHEN input_tokens > {int(rule.long_context_above)}"
                f" THEN {_priced(rule, rule.long_context)} ELSE {expr} END"
            )
        whens.append(f"WHEN ? THEN {expr}")
        params.append(rule.provider)
    return f"(CASE provider {' '.join(whens)} ELSE NULL END)", params


def _priced(rule: RepriceRule, rates: TokenRates) -> str:
    # A NULL token count (never written for a succeeded run) makes the re-price NULL: unknown, not $0.
    i, o, r, w = "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"
    missing = []
    if rates.cache_read is None:
        missing.append(f"{r} > 0")
    apart = not rule.input_includes_cache or rates.cache_write is not None
    if apart and rates.cache_write is None:
        missing.append(f"{w} > 0")
    uncached = i
    if rule.input_includes_cache:
        uncached = f"({i} - {r}" + (f" - {w})" if apart else ")")
        missing.append(f"{uncached} < 0")  # counts that contradict each other: refuse to guess
    terms = [f"{uncached} * {int(rates.input)}", f"{o} * {int(rates.output)}"]
    if rates.cache_read is not None:
        terms.append(f"{r} * {int(rates.cache_read)}")
    if apart and rates.cache_write is not None:
        terms.append(f"{w} * {int(rates.cache_write)}")
    total = " + ".join(terms)
    if rule.scale != 1:  # divide back, rounding half to even as Decimal does in commands.pricing
        s = int(rule.scale)
        total = (
            f"(({total}) / {s} + CASE WHEN (({total}) % {s}) * 2 > {s} OR ((({total}) % {s}) * 2 = {s}"
            f" AND (({total}) / {s}) % 2 = 1) THEN 1 ELSE 0 END)"
        )
    if not missing:
        return f"({total})"
    return f"(CASE WHEN {' OR '.join(missing)} THEN NULL ELSE {total} END)"
