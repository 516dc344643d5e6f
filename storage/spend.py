"""Spend queries shared by budgets and digests.

Money stays in integer nano-dollars; runs with an unknown price are counted apart. Runs still queued or
running count at what they hold against the budget (the most they can cost, commands/budget.py) until they
finish and their real cost replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True)
class Spend:
    known_nanousd: int  # sum over succeeded runs with a known price
    unknown_runs: int  # succeeded runs whose price is unknown: never added in as $0
    runs: int  # succeeded runs
    held_nanousd: int = 0  # held by runs still queued or running
    held_runs: int = 0  # runs holding it

    @property
    def committed_nanousd(self) -> int:
        """Spent plus held: what the week comes to if every run in flight costs the most it can."""
        return self.known_nanousd + self.held_nanousd


def channel_spend(database: Database, channel_id: str, start: float, end: float) -> Spend:
    """Spend of the runs that started (were created) in [start, end) in one channel."""
    # Aggregates in SQL: the table API has no SUM; a week's runs never come into Python one by one.
    row = database.conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN status = 'succeeded' AND price_known = 1 THEN cost_nanousd END), 0),"
        " SUM(CASE WHEN status = 'succeeded' AND price_known = 0 THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END),"
        " COALESCE(SUM(CASE WHEN status IN ('queued', 'running') THEN budget_hold_nanousd END), 0),"
        " COUNT(CASE WHEN status IN ('queued', 'running') THEN budget_hold_nanousd END)"
        " FROM runs WHERE channel_id = ? AND status IN ('succeeded', 'queued', 'running')"
        " AND created_at >= ? AND created_at < ?",
        (channel_id, start, end),
    ).fetchone()
    return Spend(
        known_nanousd=int(row[0] or 0),
        unknown_runs=int(row[1] or 0),
        runs=int(row[2] or 0),
        held_nanousd=int(row[3] or 0),
        held_runs=int(row[4] or 0),
    )
