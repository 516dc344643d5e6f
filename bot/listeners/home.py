"""App Home: when a user opens the bot's Home tab, publish their channels' settings and this week's spend."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.home import MAX_CHANNELS, ChannelSummary, home_view
from bot.context import Routebot
from commands.channel_settings import who_can_change
from commands.weeks import week_containing
from storage.channel_settings import ChannelSettings, ChannelSettingsStore
from storage.spend import channel_spend

log = logging.getLogger(__name__)


def register(
    app: App, bot: Routebot, store: ChannelSettingsStore, settings_of: Callable[[str], ChannelSettings]
) -> None:
    who = who_can_change(bot.config.admins)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab
        user = event["user"]
        week = week_containing(bot.clock(), bot.config.tz)
        summaries = [
            ChannelSummary(settings_of(channel), channel_spend(bot.database, channel, week.start, week.end))
            for channel in store.channels_used_by(user, limit=MAX_CHANNELS + 1)
        ]
        view = home_view(
            summaries, policy=bot.policy, week=week, default_provider=bot.config.provider, who=who
        )
        try:
            client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", user, exc.response.get("error"))
