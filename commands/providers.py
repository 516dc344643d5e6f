"""The one interface every model provider adapter implements (adapters live in bot/providers/).

A provider's id comes from the policy's [providers] table; the environment variables that configure it
are named from that id here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


def api_key_variable(provider: str) -> str:
    """The environment variable holding a provider's API key: ANTHROPIC_API_KEY, OPENAI_API_KEY."""
    return f"{provider.upper()}_API_KEY"


def base_url_variable(provider: str) -> str:
    """The environment variable overriding a provider's API base URL: ANTHROPIC_BASE_URL, OPENAI_BASE_URL."""
    return f"{provider.upper()}_BASE_URL"


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
    text: str  # the answer; for a refusal, the model's explanation (often empty)
    tokens: TokenCounts
    refused: bool = False  # the model declined the task: shown as a refusal, charged as reported


class Provider(Protocol):
    name: str

    def complete(self, *, model: str, effort: str | None, task: str) -> Completion:
        """Run the task; raise commands.errors.ProviderError on any API failure."""
        ...
