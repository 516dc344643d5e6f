"""The plain values storage hands back. Column names stop here."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T")

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Request:
    id: int
    team_id: str | None
    channel_id: str
    user_id: str
    task: str | None
    task_chars: int
    lane: str
    provider: str
    confidence: float
    dedupe_key: str | None
    card_channel: str | None
    card_ts: str | None
    created_at: float
    text_purged_at: float | None


@dataclass(frozen=True)
class Run:
    id: int
    request_id: int
    channel_id: str
    user_id: str
    provider: str
    model: str
    effort: str | None
    lane: str
    rung: int
    attempt: int
    status: str
    escalated_from: int | None
    escalation_reason: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int | None
    cache_write_tokens: int | None
    reasoning_tokens: int | None
    cost_nanousd: int | None
    price_known: int | None
    error_kind: str | None
    error_message: str | None
    answer: str | None
    progress_ts: str | None
    price_source: str | None  # "genai-prices 0.2.3" or "policy"; None while the price is unknown

    @property
    def cost_known(self) -> bool:
        return self.status == "succeeded" and self.price_known == 1 and self.cost_nanousd is not None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


def from_row(cls: type[T], row: sqlite3.Row | tuple[Any, ...] | dict[str, Any], columns: list[str]) -> T:
    values = dict(row) if isinstance(row, dict) else dict(zip(columns, row, strict=True))
    return cls(**{f.name: values[f.name] for f in fields(cls)})  # type: ignore[arg-type]
