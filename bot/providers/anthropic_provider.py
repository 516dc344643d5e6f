"""Anthropic through the anthropic SDK's Messages API.

Notes on anthropic 2.x: there is no `temperature` parameter; a non-streaming call with a large max_tokens
and no explicit timeout raises ValueError, so the timeout is always passed per call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import anthropic

from bot.config import Config
from bot.providers.retrying import CallLimits, call_with_retries
from commands.providers import Completion, TokenCounts


@dataclass
class AnthropicProvider:
    client: anthropic.Anthropic
    limits: CallLimits
    base_url_hint: str = "ANTHROPIC_BASE_URL"
    name: str = "anthropic"

    @classmethod
    def from_config(cls, config: Config) -> AnthropicProvider:
        client = anthropic.Anthropic(
            api_key=config.anthropic_api_key,
            base_url=config.anthropic_base_url,
            timeout=config.provider_timeout,
            max_retries=0,  # retries are ours: see bot.providers.retrying
        )
        return cls(client, CallLimits.from_config(config))

    def complete(self, *, model: str, effort: str | None, task: str) -> Completion:
        extra = {"output_config": {"effort": effort}} if effort else {}
        started = time.monotonic()
        message = call_with_retries(
            self.name,
            "Anthropic",
            self.limits.retry,
            lambda: self.client.messages.create(
                model=model,
                max_tokens=self.limits.max_tokens,
                messages=[{"role": "user", "content": task}],
                timeout=self.limits.timeout,
                **extra,  # type: ignore[arg-type]
            ),
            {"var": "ANTHROPIC_API_KEY", "base": self.base_url_hint},
        )
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
            seconds=time.monotonic() - started,
            model=message.model,
        )
