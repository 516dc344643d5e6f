"""The one interface every model provider adapter implements (adapters live in bot/providers/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.runs import TokenCounts


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
