"""Retries and error translation shared by both adapters.

The SDKs' own retries are turned off (max_retries=0): the anthropic SDK obeys any `retry-after`, up to
49 days, so a misbehaving proxy could park a worker thread indefinitely. Here a wait longer than
`max_wait` seconds ends the attempt at once with a clear "rate limited" error instead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.config import Config
from commands.errors import ProviderError

log = logging.getLogger(__name__)
T = TypeVar("T")

_ADVICE = {
    "auth": "the API key was rejected: check {var} and restart routebot",
    "permission": "the API key may not use this model: check the key's project or workspace permissions",
    "not_found": "the model was not found: check the model name in the routing policy",
    "rate_limit": "the provider is rate-limiting us: Retry in a minute, or escalate on the other provider",
    "unavailable": "the provider is having trouble (overloaded or a server error): Retry shortly",
    "timeout": "the provider did not answer in time: Retry, or raise ROUTEBOT_PROVIDER_TIMEOUT",
    "connection": "routebot could not reach the provider: check the network or {base} and Retry",
    "bad_request": "the provider refused the request: the task may be too long for this model",
}


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    max_wait: float = 20.0
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class CallLimits:
    """What every model call is bounded by, from config: output tokens, seconds, retries."""

    max_tokens: int
    timeout: float
    retry: RetryPolicy

    @classmethod
    def from_config(cls, config: Config) -> CallLimits:
        retry = RetryPolicy(config.provider_max_retries, config.provider_max_retry_wait)
        return cls(config.max_output_tokens, config.provider_timeout, retry)


def classify(exc: Exception) -> tuple[str, float | None, int | None]:
    """(kind, retry-after seconds, HTTP status) for an SDK exception, by duck typing both SDKs."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    retry_after: float | None = None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        raw = headers.get("retry-after-ms")
        try:
            retry_after = float(raw) / 1000 if raw else float(headers.get("retry-after") or "nan")
        except ValueError:
            retry_after = None
        if retry_after is not None and retry_after != retry_after:  # NaN
            retry_after = None
    if "Timeout" in name:
        return "timeout", None, None
    if "Connection" in name:
        return "connection", None, None
    if status == 401:
        return "auth", None, status
    if status == 403:
        return "permission", None, status
    if status == 404:
        return "not_found", None, status
    if status == 429:
        return "rate_limit", retry_after, status
    if isinstance(status, int) and (status >= 500 or status == 408 or status == 409):
        return "unavailable", retry_after, status
    return "bad_request", None, status


def call_with_retries(
    provider: str, label: str, policy: RetryPolicy, call: Callable[[], T], hint: dict[str, str]
) -> T:
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            if isinstance(exc, ProviderError):
                raise
            kind, retry_after, status = classify(exc)
            retryable = kind in ("rate_limit", "unavailable", "timeout", "connection")
            wait = (
                retry_after
                if retry_after is not None
                else min(8.0, 0.5 * 2**attempt) * random.uniform(0.75, 1.0)
            )
            if retryable and attempt < policy.max_retries and wait <= policy.max_wait:
                attempt += 1
                log.info("%s %s (%s); retry %d in %.1fs", provider, kind, status, attempt, wait)
                policy.sleep(wait)
                continue
            what = f"{label} returned HTTP {status}" if status else f"{label}: {kind.replace('_', ' ')}"
            advice = _ADVICE[kind].format(**hint)
            if kind == "rate_limit" and retry_after is not None and retry_after > policy.max_wait:
                advice = f"the provider asks us to wait {retry_after:.0f} s: Retry later"
            log.warning("%s call failed: %s (%s)", provider, kind, status)
            raise ProviderError(provider, kind, f"{what}: {advice}.", retryable=retryable) from None
