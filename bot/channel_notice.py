"""A plain notice posted in a channel (the budget warning): True when Slack took it."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.common import section

log = logging.getLogger(__name__)


def post_notice(client: WebClient, channel_id: str, text: str) -> bool:
    try:
        client.chat_postMessage(channel=channel_id, text=text, blocks=[section(text)])
    except SlackApiError as exc:
        log.warning("could not post a notice in %s: %s", channel_id, exc.response.get("error"))
        return False
    return True
