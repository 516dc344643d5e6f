"""What both streaming adapters share: retry only before the first text, and name a break after it.

A failure before any text arrived is a failed call like any other, so it is retried (retrying.py).
Once text has reached Slack a retry would repeat it, so a break after that is reported at once, marked
`partial`, and the dispatcher keeps what arrived and offers Retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.providers.responses import bad_response
from bot.providers.retrying import RetryPolicy, SdkErrors, call_with_retries, classify
from commands.errors import ProviderError
from commands.providers import TextSink

T = TypeVar("T")
# Error types an API sends as a stream event once the HTTP status (200) is already out.
_UNAVAILABLE = {"overloaded_error", "api_error", "server_error", "timeout_error"}


def stream_with_retries(
    provider: str,
    label: str,
    policy: RetryPolicy,
    errors: SdkErrors,
    read: Callable[[TextSink], T],
    on_text: TextSink,
    hint: dict[str, str],
) -> T:
    """Run `read(sink)`, which opens the stream and feeds every text delta to `sink`."""
    arrived = False

    def sink(text: str) -> None:
        nonlocal arrived
        if text:
            arrived = True
            on_text(text)

    def attempt() -> T:
        try:
            return read(sink)
        except ProviderError:
            raise
        except Exception as exc:
            if isinstance(exc, ValueError) and not arrived:
                raise bad_response(provider, label) from exc  # an unreadable 200: a proxy's page, say
            kind = "connection" if isinstance(exc, StreamEndedEarly) else stream_error_kind(exc)
            if isinstance(exc, ValueError):
                kind = "bad_response"
            if kind is None and not arrived:
                raise  # an ordinary failed call: call_with_retries classifies and retries it
            if kind is None:
                classified = classify(exc, errors)
                if classified is None:
                    raise  # not the SDK's: the run service records it as an internal error
                kind = classified[0]
            if arrived:
                message = (
                    f"{label} stopped in the middle of the answer ({kind.replace('_', ' ')}); "
                    "what arrived is kept above. Press Retry for a complete answer."
                )
            else:
                what = kind.replace("_", " ")
                message = f"{label} reported an error while streaming ({what}): Retry shortly."
            raise ProviderError(provider, kind, message, retryable=True, partial=arrived) from None

    return call_with_retries(provider, label, policy, errors, attempt, hint)


def stream_error_kind(exc: Exception) -> str | None:
    """The kind of an error sent as a stream event (HTTP 200 already sent), else None."""
    if getattr(exc, "status_code", None) not in (None, 200):
        return None
    body: Any = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else None
    kind = error.get("type") or error.get("code") if isinstance(error, dict) else None
    if kind is None:
        return None
    return "unavailable" if kind in _UNAVAILABLE else "bad_request"


class StreamEndedEarly(Exception):
    """The API's stream ended without its final event (the connection closed mid-answer)."""
