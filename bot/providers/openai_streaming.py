"""OpenAI answers streamed through the openai SDK's `responses.create(stream=True)`, with exact usage.

Text arrives as `response.output_text.delta` events; usage only on the final `response.completed`, whose
`input_tokens` include the cached ones and whose `output_tokens` include the reasoning ones.
https://platform.openai.com/docs/guides/streaming-responses
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import openai
from openai.types.responses import ResponseUsage

from bot.providers.retrying import CallLimits, SdkErrors
from bot.providers.streaming import StreamEndedEarly, stream_with_retries
from commands.providers import Completion, TextSink, TokenCounts, Turn

LABEL = "OpenAI"


def stream_openai(
    client: openai.OpenAI,
    limits: CallLimits,
    errors: SdkErrors,
    *,
    model: str,
    effort: str | None,
    turns: Sequence[Turn],
    on_text: TextSink,
    hint: dict[str, str],
) -> Completion:
    extra = {"reasoning": {"effort": effort}} if effort else {}
    # Assistant turns are sent back as plain messages (no stored response ids): nothing lives at OpenAI.
    conversation = [{"role": turn.role, "content": turn.text} for turn in turns]

    def read(sink: TextSink) -> Completion:
        stream = client.responses.create(  # type: ignore[call-overload]  # plain dicts for the SDK's typed params
            model=model,
            input=conversation,
            max_output_tokens=limits.max_tokens,
            timeout=limits.timeout,
            stream=True,
            **extra,
        )
        events = 0
        with stream:
            for event in stream:
                events += 1
                if event.type == "response.output_text.delta":
                    sink(event.delta)
                elif event.type == "response.completed":
                    response = event.response
                    refusal = refusal_text(response)
                    return Completion(
                        text=response.output_text if refusal is None else refusal,
                        tokens=openai_tokens(response.usage),
                        refused=refusal is not None,
                    )
                elif event.type == "error":
                    raise _event_error(event.code, event.message)
                elif event.type in ("response.failed", "response.incomplete"):
                    error = event.response.error
                    raise _event_error(error.code if error else None, error.message if error else event.type)
        if not events:  # a 200 that was not an event stream (a proxy's page): nothing to read
            raise ValueError("the response held no events")
        raise StreamEndedEarly("the stream closed before response.completed")

    return stream_with_retries("openai", LABEL, limits.retry, errors, read, on_text, hint)


class _StreamEventError(Exception):
    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status_code = 200
        self.body = {"error": {"type": code or "server_error", "message": message}}


def _event_error(code: object, message: str) -> Exception:
    return _StreamEventError(str(code) if code else None, message)


def refusal_text(response: Any) -> str | None:
    """The text of a refusal content part, if the model refused (output_text leaves refusals out)."""
    for item in response.output:
        for part in getattr(item, "content", None) or []:
            if getattr(part, "type", "") == "refusal":
                return str(part.refusal or "")
    return None


def openai_tokens(usage: ResponseUsage | None) -> TokenCounts:
    if usage is None:
        return TokenCounts(0, 0)
    return TokenCounts(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.input_tokens_details.cached_tokens,
        cache_write_tokens=usage.input_tokens_details.cache_write_tokens,
        reasoning_tokens=usage.output_tokens_details.reasoning_tokens,
    )
