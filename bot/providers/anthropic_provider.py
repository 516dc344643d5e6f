"""Anthropic through the anthropic SDK's Messages API.

Notes on anthropic 2.x: there is no `temperature` parameter; a non-streaming call with a large max_tokens
and no explicit timeout raises ValueError, so the timeout is always passed per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anthropic

from bot.config import Config
from bot.providers.anthropic_streaming import stream_anthropic
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

    def complete(self, *, model: str, effort: str | None, task: str) -> Completion:
        extra = {"output_config": {"effort": effort}} if effort else {}
        message = call_with_retries(
            self.name,
            "Anthropic",
            self.limits.retry,
            ERRORS,
            readable(
                lambda: self.client.messages.create(  # type: ignore[call-overload]  # plain dicts for the SDK's typed params
                    model=model,
                    max_tokens=self.limits.max_tokens,
                    messages=[{"role": "user", "content": task}],
                    timeout=self.limits.timeout,
                    **extra,
                ),
                self.name,
                "Anthropic",
            ),
            {"var": api_key_variable(self.name), "base": base_url_variable(self.name)},
        )
        completion: Completion = parse(message, _completion, self.name, "Anthropic")
        return completion

    def stream(
        self, *, model: str, effort: str | None, turns: Sequence[Turn], on_text: TextSink
    ) -> Completion:
        hint = {"var": api_key_variable(self.name), "base": base_url_variable(self.name)}
        return stream_anthropic(
            self.client,
            self.limits,
            ERRORS,
            model=model,
            effort=effort,
            turns=turns,
            on_text=on_text,
            hint=hint,
        )


def _completion(message: Any) -> Completion:
    text = "".join(block.text for block in message.content if getattr(block, "type", "") == "text")
    usage = message.usage
    details = getattr(usage, "output_tokens_details", None)
    return Completion(
        text=text,
        tokens=TokenCounts(
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            cache_read_tokens=usage.cache_read_input_tokens or 0,
            cache_write_tokens=usage.cache_creation_input_tokens or 0,
            reasoning_tokens=(getattr(details, "thinking_tokens", 0) or 0) if details else 0,
        ),
        # stop_reason "refusal": the model declined; the tokens it used are billed all the same.
        refused=message.stop_reason == "refusal",
    )
