"""OpenAI through the openai SDK's Responses API, with the policy's reasoning effort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai

from bot.config import Config
from bot.providers.openai_streaming import refusal_text as _refusal
from bot.providers.openai_streaming import stream_openai
from bot.providers.responses import parse, readable
from bot.providers.retrying import CallLimits, SdkErrors, call_with_retries
from commands.providers import (
    Completion,
    TextSink,
    TokenCounts,
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

    def complete(self, *, model: str, effort: str | None, task: str) -> Completion:
        extra = {"reasoning": {"effort": effort}} if effort else {}
        response = call_with_retries(
            self.name,
            "OpenAI",
            self.limits.retry,
            ERRORS,
            readable(
                lambda: self.client.responses.create(  # type: ignore[call-overload]  # plain dicts for the SDK's typed params
                    model=model,
                    input=task,
                    max_output_tokens=self.limits.max_tokens,
                    timeout=self.limits.timeout,
                    **extra,
                ),
                self.name,
                "OpenAI",
            ),
            {"var": api_key_variable(self.name), "base": base_url_variable(self.name)},
        )
        completion: Completion = parse(response, _completion, self.name, "OpenAI")
        return completion

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        hint = {"var": api_key_variable(self.name), "base": base_url_variable(self.name)}
        return stream_openai(
            self.client,
            self.limits,
            ERRORS,
            model=model,
            effort=effort,
            turns=turns,
            on_text=on_text,
            hint=hint,
        )


def _completion(response: Any) -> Completion:
    usage = response.usage
    input_details = getattr(usage, "input_tokens_details", None) if usage else None
    output_details = getattr(usage, "output_tokens_details", None) if usage else None
    refusal = _refusal(response)
    return Completion(
        text=response.output_text if refusal is None else refusal,
        refused=refusal is not None,
        tokens=TokenCounts(
            input_tokens=(usage.input_tokens or 0) if usage else 0,
            output_tokens=(usage.output_tokens or 0) if usage else 0,
            cache_read_tokens=(getattr(input_details, "cached_tokens", 0) or 0) if input_details else 0,
            cache_write_tokens=(getattr(input_details, "cache_write_tokens", 0) or 0) if input_details else 0,
            reasoning_tokens=(getattr(output_details, "reasoning_tokens", 0) or 0) if output_details else 0,
        ),
    )
