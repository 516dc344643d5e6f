"""Anthropic through the anthropic SDK's Messages API.

Runs are streamed (bot/providers/anthropic_streaming.py). Notes on anthropic 2.x: there is no `temperature`
parameter; the timeout is passed per call, as the SDK refuses a long non-streaming call without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anthropic

from bot.config import Config
from bot.providers.anthropic_streaming import stream_anthropic
from bot.providers.retrying import CallLimits, SdkErrors
from commands.providers import (
    Completion,
    TextSink,
    Turn,
    api_key_variable,
    base_url_variable,
)

ERRORS = SdkErrors(
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
    status=anthropic.APIStatusError,
    auth=anthropic.AuthenticationError,
    permission=anthropic.PermissionDeniedError,
    not_found=anthropic.NotFoundError,
    conflict=anthropic.ConflictError,
    rate_limit=anthropic.RateLimitError,
    server=anthropic.InternalServerError,
)


@dataclass
class AnthropicProvider:
    client: anthropic.Anthropic
    limits: CallLimits
    name: str = "anthropic"

    @classmethod
    def from_config(cls, config: Config) -> AnthropicProvider:
        client = anthropic.Anthropic(
            api_key=config.api_keys.get(cls.name),
            base_url=config.base_urls.get(cls.name),
            timeout=config.provider_timeout,
            max_retries=0,  # retries are ours: see bot.providers.retrying
        )
        return cls(client, CallLimits.from_config(config))

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        return stream_anthropic(
            self.client,
            self.limits,
            ERRORS,
            model=model,
            effort=effort,
            turns=turns,
            on_text=on_text,
            hint={"var": api_key_variable(self.name), "base": base_url_variable(self.name)},
        )
