"""The token sums a re-pricing needs, from SQLite: runs grouped so that each group prices as one.

The digest re-prices a week's succeeded runs on the premium lane's model. Pricing them one by one in Python
would read every run; instead SQL adds up their token counts in groups whose runs all price alike, and
commands/reprice.py prices each group's sums with commands.pricing, the one pricing implementation. No rate
and no rounding lives here.

A run's price is linear in its token counts as long as the rates and the rules that make it unknown stay
the same, so a group holds the runs of one provider in one size band (the rates depend on the request's
size: GPT-5.4 above 272K input tokens). Where the premium rates could find a priced run of unknown price
(a cache class they have no rate for, cache counts that exceed input) a group's runs also agree on which
cache classes they report and on whether their cache exceeds their input. Only the runs' own prices are
known here (price_known = 1), so with the default catalog rates that split is never needed, and it costs
a third of the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


@dataclass(frozen=True)
class SizeBands:
    """How one provider's runs are sorted by size: the sum of `size_columns` against `thresholds`."""

    provider: str
    size_columns: tuple[str, ...]  # token columns, e.g. ("input_tokens",)
    thresholds: tuple[int, ...]  # ascending; a request above one is billed at that tier's rates
    by_shape: bool = False  # also split by which cache classes a run reports and whether they exceed input


@dataclass(frozen=True)
class TokenGroup:
    """Succeeded runs of known price that price alike, with their token counts and actual cost added up."""

    provider: str
    size_floor: int  # the smallest request size in the group's band: 0, or a threshold + 1
    runs: int
    cost_nanousd: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


def token_groups(
    conn: Any, where: str, params: Sequence[Any], bands: Sequence[SizeBands]
) -> tuple[TokenGroup, ...]:
    """The groups of the succeeded, priced runs matching `where` (a condition on the runs table)."""
    band, band_params = _band_expression(bands)
    shape, shape_params = _shape_expression(bands)
    i, o, r, w = _TOKEN_COLUMNS
    rows = conn.execute(
        f"SELECT provider, {band}, {shape}, COUNT(*), SUM(cost_nanousd), SUM({i}), SUM({o}), SUM({r}),"
        f" SUM({w}) FROM runs WHERE {where} AND status = 'succeeded' AND price_known = 1 GROUP BY 1, 2, 3",
        (*band_params, *shape_params, *params),
    )
    return tuple(TokenGroup(row[0], row[1], *row[3:]) for row in rows)


def _band_expression(bands: Sequence[SizeBands]) -> tuple[str, list[Any]]:
    whens, params = [], []
    for b in bands:
        if not b.thresholds:
            continue
        if not b.size_columns or any(c not in _TOKEN_COLUMNS for c in b.size_columns):
            raise ValueError(f"size columns must be among {_TOKEN_COLUMNS}: {b.size_columns}")
        size = " + ".join(b.size_columns)
        above = sorted((int(t) for t in b.thresholds), reverse=True)
        steps = " ".join(f"WHEN {size} > {t} THEN {t + 1}" for t in above)
        whens.append(f"WHEN ? THEN CASE {steps} ELSE 0 END")
        params.append(b.provider)
    if not whens:
        return "0", []
    return f"CASE provider {' '.join(whens)} ELSE 0 END", params


def _shape_expression(bands: Sequence[SizeBands]) -> tuple[str, list[Any]]:
    """Which cache classes a run reports and whether they exceed its input, packed into one number."""
    providers = [b.provider for b in bands if b.by_shape]
    if not providers:
        return "0", []
    i, _, r, w = _TOKEN_COLUMNS
    shape = f"({r} > 0) + 2 * ({w} > 0) + 4 * ({i} < {r}) + 8 * ({i} < {r} + {w})"
    return f"CASE WHEN provider IN ({', '.join('?' * len(providers))}) THEN {shape} ELSE 0 END", providers
