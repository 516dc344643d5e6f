"""Who may change channel settings and approve runs: workspace admins and owners, plus ROUTEBOT_ADMINS.

Checked on the server for every save, approval and decline; a payload says who clicked but never what they
may do. users.info answers are cached briefly (Tier 4, but a busy approval thread would still hammer it);
a failed lookup denies and is not cached.
https://api.slack.com/methods/users.info
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0


class Permissions:
    def __init__(
        self,
        client: WebClient,
        admins: frozenset[str],
        clock: Callable[[], float],
        ttl: float = CACHE_SECONDS,
    ) -> None:
        self.client, self.admins, self.clock, self.ttl = client, admins, clock, ttl
        self._cache: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def is_allowed(self, user_id: str) -> bool:
        if user_id in self.admins:
            return True
        now = self.clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, KeyError, TypeError) as exc:
            log.warning("users.info for %s failed, so they are treated as not an admin: %s", user_id, exc)
            return False
        allowed = bool(user.get("is_admin") or user.get("is_owner")) and not user.get("deleted")
        with self._lock:
            self._cache[user_id] = (allowed, now + self.ttl)
        return allowed
