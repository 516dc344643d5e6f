"""Reading a provider's successful reply: the SDKs hand back whatever a 200 contained.

A proxy or a misconfigured base URL can answer 200 with HTML or half a JSON body; the SDKs then raise
JSONDecodeError, or return a str, or a model object with fields missing. That is the provider's (or the
proxy's) bad response, not a request that was too long, so it gets its own kind and advice.
"""

from __future__ import annotations

from commands.errors import ProviderError
from commands.providers import base_url_variable


def bad_response(provider: str, label: str) -> ProviderError:
    return ProviderError(
        provider,
        "bad_response",
        f"{label} sent a response routebot could not read: Retry; if it keeps happening, check"
        f" {base_url_variable(provider)} (a proxy may be answering in its place).",
        retryable=True,
    )
