"""The one interface every model provider adapter implements (adapters live in bot/providers/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TokenCounts:
    """Token usage as the provider's API reported it; the only input to a run's price."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: TokenCounts
    seconds: float
    model: str  # as the API reported it


class Provider(Protocol):
    name: str

    def complete(self, *, model: str, effort: str | None, task: str) -> Completion:
        """Run the task; raise commands.errors.ProviderError on any API failure."""
        ...
