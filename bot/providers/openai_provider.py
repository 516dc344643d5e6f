"""OpenAI through the openai SDK's Responses API, streamed (bot/providers/openai_streaming.py), with the
policy's reasoning effort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import openai

from bot.config import Config
from bot.providers.openai_streaming import stream_openai
from bot.providers.retrying import CallLimits, SdkErrors
from commands.providers import (
    Completion,
    TextSink,
    Turn,
    api_key_variable,
    base_url_variable,
)

ERRORS = SdkErrors(
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
    status=openai.APIStatusError,
    auth=openai.AuthenticationError,
    permission=openai.PermissionDeniedError,
    not_found=openai.NotFoundError,
    conflict=openai.ConflictError,
    rate_limit=openai.RateLimitError,
    server=openai.InternalServerError,
)


@dataclass
class OpenAIProvider:
    client: openai.OpenAI
    limits: CallLimits
    name: str = "openai"

    @classmethod
    def from_config(cls, config: Config) -> OpenAIProvider:
        client = openai.OpenAI(
            api_key=config.api_keys.get(cls.name),
            base_url=config.base_urls.get(cls.name),
            timeout=config.provider_timeout,
            max_retries=0,  # retries are ours: see bot.providers.retrying
        )
        return cls(client, CallLimits.from_config(config))

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        return stream_openai(
            self.client,
            self.limits,
            ERRORS,
            model=model,
            effort=effort,
            turns=turns,
            on_text=on_text,
            hint={"var": api_key_variable(self.name), "base": base_url_variable(self.name)},
        )
