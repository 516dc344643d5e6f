"""The one interface every model provider adapter implements (adapters live in bot/providers/).

A provider's id comes from the policy's [providers] table; the environment variables that configure it
are named from that id here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


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


@dataclass(frozen=True)
class Turn:
    """One message of a conversation as the model sees it: the person's side or the model's."""

    role: Literal["user", "assistant"]
    text: str


TextSink = Callable[[str], None]
"""Receives the answer's text as it arrives, one piece per call, in order."""


class Provider(Protocol):
    name: str

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        """Run the conversation, handing each piece of text to `on_text` as the API streams it.

        The Completion's tokens come from the stream's own usage events. A failure before any text is
        retried (bot/providers/retrying.py), then raises commands.errors.ProviderError; a failure after some
        text raises ProviderError with `partial=True`.
        """
        ...
