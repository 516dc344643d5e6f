"""Reporting helpers shared by the benchmark scripts (tests/bench_*.py): a row per figure, with its goal."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: str
    goal: str
    ok: bool | None  # None: informational, no goal


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50 of 1..100 is 50, p99 is 99)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def print_table(title: str, rows: list[Row]) -> None:
    widths = [
        max(len(r.figure) for r in rows),
        max(len(r.value) for r in rows),
        max(len(r.goal) for r in rows),
    ]
    widths = [max(w, len(h)) for w, h in zip(widths, ("figure", "measured", "goal"), strict=True)]
    print(f"\n{title}")
    header = f"  {'figure':<{widths[0]}}  {'measured':>{widths[1]}}  {'goal':<{widths[2]}}  result"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in rows:
        verdict = "" if r.ok is None else ("PASS" if r.ok else "MISS")
        print(f"  {r.figure:<{widths[0]}}  {r.value:>{widths[1]}}  {r.goal:<{widths[2]}}  {verdict}")


def us(ns: float) -> str:
    return f"{ns / 1000:,.1f} us"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def run_sections(title: str, sections: list[tuple[str, Callable[[], list[Row]]]]) -> int:
    """Run each section, print its table, then the goals met; a broken section is reported, never fatal."""
    print(title)
    results: list[tuple[str, list[Row]]] = []
    for name, bench in sections:
        try:
            results.append((name, bench()))
        except Exception as exc:
            results.append((name, [Row("section failed", type(exc).__name__, str(exc)[:60], False)]))
    for name, rows in results:
        print_table(name, rows)
    graded = [r for _, rows in results for r in rows if r.ok is not None]
    print(f"\n{sum(bool(r.ok) for r in graded)}/{len(graded)} goals met")
    return 0
