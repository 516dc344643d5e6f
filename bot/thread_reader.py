"""Reading the one thread routebot was invoked in (conversations.replies), never anything else.

Pages of 200 (Slack recommends no more than that per call) are followed with slack_sdk's cursor
pagination; routebot's own messages (cards, progress lines, answers) are left out here, so the model never
reads its earlier output as if a person had written it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from commands.thread_context import ThreadMessage

PAGE = 200


@dataclass(frozen=True)
class Me:
    """How routebot recognises its own messages: its bot user and bot id (from Bolt's context)."""

    user_id: str | None
    bot_id: str | None

    def wrote(self, message: dict[str, Any]) -> bool:
        return bool(
            (self.user_id and message.get("user") == self.user_id)
            or (self.bot_id and message.get("bot_id") == self.bot_id)
        )


def read_thread(client: WebClient, channel: str, thread_ts: str, me: Me) -> list[ThreadMessage]:
    """Every message of the thread, oldest first, without routebot's own."""
    return [_reduced(m) for m in _pages(client, channel, thread_ts) if not me.wrote(m)]


def read_message(client: WebClient, channel: str, ts: str, thread_ts: str | None) -> ThreadMessage | None:
    """One message by its ts (a thread's parent or one of its replies)."""
    response = client.conversations_replies(
        channel=channel, ts=thread_ts or ts, oldest=ts, latest=ts, inclusive=True, limit=2
    )
    for message in response.get("messages") or []:
        if message.get("ts") == ts:
            return _reduced(message)
    return None


def _pages(client: WebClient, channel: str, thread_ts: str) -> Iterator[dict[str, Any]]:
    for page in client.conversations_replies(channel=channel, ts=thread_ts, limit=PAGE):
        yield from page.get("messages") or []


def _reduced(message: dict[str, Any]) -> ThreadMessage:
    bot_name = None
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        profile = message.get("bot_profile") or {}
        bot_name = str(message.get("username") or profile.get("name") or "an app")
    return ThreadMessage(
        ts=str(message.get("ts", "")),
        user_id=message.get("user"),
        text=str(message.get("text") or ""),
        bot_name=bot_name,
        subtype=message.get("subtype"),
    )
