"""Anthropic answers streamed through the anthropic SDK's `messages.stream`, with exact usage.

The SDK accumulates the events into a final Message: input and cache tokens come from `message_start`
(and the cumulative `message_delta`, which overwrites them when present), output tokens from the last
`message_delta`. https://docs.anthropic.com/en/docs/build-with-claude/streaming
"""

from __future__ import annotations

from collections.abc import Sequence

import anthropic
from anthropic.types import Usage

from bot.providers.retrying import CallLimits, SdkErrors
from bot.providers.streaming import StreamEndedEarly, stream_with_retries
from commands.providers import Completion, TextSink, TokenCounts, Turn

LABEL = "Anthropic"


def stream_anthropic(
    client: anthropic.Anthropic,
    limits: CallLimits,
    errors: SdkErrors,
    *,
    model: str,
    effort: str | None,
    turns: Sequence[Turn],
    on_text: TextSink,
    hint: dict[str, str],
) -> Completion:
    extra = {"output_config": {"effort": effort}} if effort else {}
    messages = [{"role": turn.role, "content": turn.text} for turn in turns]

    def read(sink: TextSink) -> Completion:
        with client.messages.stream(
            model=model,
            max_tokens=limits.max_tokens,
            messages=messages,  # type: ignore[arg-type]  # plain dicts are the SDK's MessageParam
            timeout=limits.timeout,
            **extra,  # type: ignore[arg-type]
        ) as stream:
            events = 0
            for event in stream:
                events += 1
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    sink(event.delta.text)
            if not events:  # a 200 that was not an event stream (a proxy's page): nothing to read
                raise ValueError("the response held no events")
            message = stream.get_final_message()
        if message.stop_reason is None:
            raise StreamEndedEarly("the stream closed before message_delta")
        text = "".join(block.text for block in message.content if block.type == "text")
        # stop_reason "refusal": the model declined; the tokens it used are billed all the same.
        refused = message.stop_reason == "refusal"
        return Completion(text=text, tokens=anthropic_tokens(message.usage), refused=refused)

    return stream_with_retries("anthropic", LABEL, limits.retry, errors, read, on_text, hint)


def anthropic_tokens(usage: Usage) -> TokenCounts:
    """Anthropic's input_tokens exclude cache reads and writes, which are counted (and billed) apart."""
    details = usage.output_tokens_details
    return TokenCounts(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
        reasoning_tokens=details.thinking_tokens if details is not None else 0,
    )
