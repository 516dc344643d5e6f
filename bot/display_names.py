"""People's display names from users.info, cached: thread context names authors without pinging them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

TTL = 600.0  # seconds; a renamed person shows the new name within ten minutes


class DisplayNames:
    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.clock = client, clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def of(self, user_ids: Iterable[str]) -> dict[str, str]:
        return {user_id: self.name(user_id) for user_id in user_ids}

    def name(self, user_id: str) -> str:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < TTL:
            return cached[1]
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError:
            return "someone"  # not cached: the next thread asks again
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("name") or "someone"
        with self._lock:
            self._cache[user_id] = (now, str(name))
        return str(name)
