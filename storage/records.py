"""The plain values storage hands back. Column names stop here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

ACTIVE = ("queued", "running")
DELIVERY_STATES = ("pending", "delivered", "delivered_privately", "failed")


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
    source: str = "command"
    thread_ts: str | None = None
    conversation_id: int | None = None
    material: str | None = None
    material_kind: str | None = None
    material_messages: int | None = None

    @property
    def answer_thread(self) -> str | None:
        """The thread this request's runs answer in: the card's own, or the thread the card was posted in."""
        return self.thread_ts or self.card_ts

    @property
    def root_id(self) -> int:
        return self.conversation_id or self.id


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
    status: str  # queued, running, succeeded, failed, interrupted
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
    refused: int = 0  # 1: the model declined the task (a succeeded, charged run with no real answer)
    owner: str | None = None  # the process holding the lease: it runs the model and posts the outcome
    lease_expires_at: float | None = None
    delivery: str | None = None  # one of DELIVERY_STATES once the run has an outcome; None before
    delivery_attempts: int = 0
    delivery_error: str | None = None  # the last Slack error while posting the outcome
    trimmed_turns: int | None = None  # exchanges left out to fit the model's context window

    @property
    def cost_known(self) -> bool:
        return self.status == "succeeded" and self.price_known == 1 and self.cost_nanousd is not None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


def from_row(cls: type[T], row: dict[str, Any]) -> T:
    """A dataclass from a sqlite-utils row (a dict by column name); columns the class lacks stay behind."""
    return cls(**{f.name: row[f.name] for f in fields(cls)})
