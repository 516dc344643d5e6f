"""Reading a provider's successful reply: the SDKs hand back whatever a 200 contained.

A proxy or a misconfigured base URL can answer 200 with HTML or half a JSON body; the SDKs then raise
JSONDecodeError, or return a str, or a model object with fields missing. That is the provider's (or the
proxy's) bad response, not a request that was too long, so it gets its own kind and advice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from commands.errors import ProviderError
from commands.providers import base_url_variable

T = TypeVar("T")
R = TypeVar("R")


def bad_response(provider: str, label: str) -> ProviderError:
    return ProviderError(
        provider,
        "bad_response",
        f"{label} sent a response routebot could not read: Retry; if it keeps happening, check"
        f" {base_url_variable(provider)} (a proxy may be answering in its place).",
        retryable=True,
    )


def readable(call: Callable[[], T], provider: str, label: str) -> Callable[[], T]:
    """`call` with an unparseable 200 body turned into a bad_response ProviderError (never retried)."""

    def wrapped() -> T:
        try:
            return call()
        except ValueError as exc:  # json.JSONDecodeError: the SDK could not parse the body at all
            raise bad_response(provider, label) from exc

    return wrapped


def parse(reply: object, read: Callable[[Any], R], provider: str, label: str) -> R:
    """read(reply), or a bad_response error when the reply lacks what a real one has."""
    try:
        return read(reply)
    except (AttributeError, TypeError, KeyError) as exc:  # a str, or a model built from a partial body
        raise bad_response(provider, label) from exc
