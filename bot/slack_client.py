"""The one WebClient every Slack call goes through: cards, progress, answers, approvals, digests, views.

slack_sdk's retry handlers do the retrying (https://tools.slack.dev/python-slack-sdk/web#retryhandler):
a dropped connection is tried again, and a rate limit (HTTP 429) is waited out for as long as Slack's
Retry-After asks, up to ROUTEBOT_SLACK_MAX_RETRY_WAIT seconds; a longer wait fails the call at once
(SlackApiError, "ratelimited") rather than park a thread.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot.config import Config

log = logging.getLogger(__name__)
RATE_LIMIT_RETRIES = 2
CONNECTION_RETRIES = 1


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's rate-limit handler, except that it gives up when Slack asks for a wait over `max_wait`.

    The library's own handler sleeps for any Retry-After (slack_sdk/http_retry/builtin_handlers.py).
    """

    def __init__(self, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None  # a 429 is a response
        wait = retry_after(response)
        if wait > self.max_wait:
            log.warning(
                "Slack asks to wait %.0f s for %s: over %.0f s, so not retried",
                wait,
                request.url,
                self.max_wait,
            )
            return False
        log.info("Slack rate-limited %s; retrying after %.0f s", request.url, wait)
        return True


def retry_after(response: HttpResponse) -> float:
    """Slack's Retry-After in seconds (slack_sdk waits one second when there is none)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return float(value)
            except (TypeError, ValueError):
                return float("inf")  # the handler would fail on it too; better to fail without waiting
    return 1.0


def slack_client(config: Config) -> WebClient:
    """The bot's WebClient: its token, SLACK_API_URL when set, and the retry handlers above."""
    return WebClient(
        token=config.slack_bot_token,
        base_url=config.slack_api_url or WebClient.BASE_URL,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            CappedRateLimitRetryHandler(RATE_LIMIT_RETRIES, config.slack_max_retry_wait),
        ],
    )
