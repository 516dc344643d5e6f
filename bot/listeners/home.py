"""App Home: when a user opens the bot's Home tab, publish their channels' settings and this week's spend."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.home import MAX_CHANNELS, ChannelSummary, home_view
from commands.channel_settings import Channels
from commands.policy import Policy
from commands.weeks import week_containing
from storage.db import Database
from storage.runs import RunStore
from storage.spend import channel_spend

log = logging.getLogger(__name__)


class AppHome:
    def __init__(
        self,
        *,
        policy: Policy,
        database: Database,
        store: RunStore,
        channels: Channels,
        clock: Callable[[], float],
        tz: str,
        who: str,
    ) -> None:
        self.policy, self.database, self.store, self.channels = policy, database, store, channels
        self.clock, self.tz, self.who = clock, tz, who

    def on_home_opened(self, event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        user = event["user"]
        week = week_containing(self.clock(), self.tz)
        summaries = [
            ChannelSummary(
                self.channels.settings(channel), channel_spend(self.database, channel, week.start, week.end)
            )
            for channel in self.store.channels_used_by(user, limit=MAX_CHANNELS + 1)
        ]
        view = home_view(
            summaries,
            policy=self.policy,
            week=week,
            default_provider=self.channels.default_provider,
            who=self.who,
        )
        try:
            client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", user, exc.response.get("error"))
