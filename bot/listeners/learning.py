"""The settings window's learning controls: turn learning off or on for a channel, or reset it; audited.

The buttons sit in the `/route settings` modal, so the channel comes from the modal's private_metadata, and
permission is checked on the server for every click, like the settings' own Save.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.learning import learning_blocks, learning_notice, replace_learning_blocks
from bot.permissions import Permissions
from commands.channel_settings import Channels, is_channel_id
from commands.learning import Learning
from commands.policy import Policy

log = logging.getLogger(__name__)


class LearningControls:
    def __init__(
        self,
        *,
        policy: Policy,
        learning: Learning,
        channels: Channels,
        permissions: Permissions,
        clock: Callable[[], float],
    ) -> None:
        self.policy, self.learning, self.channels = policy, learning, channels
        self.permissions, self.clock = permissions, clock

    def on_off(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self._control(body, client, lambda channel, user, now: self._switch(channel, user, now, False))

    def on_on(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self._control(body, client, lambda channel, user, now: self._switch(channel, user, now, True))

    def on_reset(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        self._control(
            body,
            client,
            lambda channel, user, now: learning_notice(
                user, forgotten=self.learning.reset(channel, user, now)
            ),
        )

    def _switch(self, channel: str, user: str, now: float, enabled: bool) -> dict[str, Any] | None:
        if not self.learning.set_enabled(channel, enabled, user, now):
            return None  # already so: a double click changes and announces nothing
        return learning_notice(user, enabled=enabled)

    def _control(
        self,
        body: dict[str, Any],
        client: WebClient,
        change: Callable[[str, str, float], dict[str, Any] | None],
    ) -> None:
        user = body["user"]["id"]
        view = body.get("view") or {}
        channel = _channel_of(view)
        if channel is None:
            log.warning("learning control from %s without a channel in its view", user)
            return
        if not self.permissions.is_allowed(user):
            log.warning("%s pressed a learning control for %s but may not change settings", user, channel)
            return
        now = self.clock()
        notice = change(channel, user, now)
        blocks = learning_blocks(
            self.learning.state(channel),
            self.learning.kinds(channel, self.channels.preferred_provider(channel), now),
            self.policy,
            editable=True,
        )
        try:
            if view.get("id"):
                client.views_update(
                    view_id=view["id"], hash=view.get("hash"), view=replace_learning_blocks(view, blocks)
                )
            if notice is not None:
                client.chat_postMessage(channel=channel, **notice)
        except SlackApiError as exc:  # recorded all the same: the audit table has it
            log.warning("learning change in %s not shown: %s", channel, exc.response.get("error"))


def _channel_of(view: dict[str, Any]) -> str | None:
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (json.JSONDecodeError, AttributeError):
        return None
    return channel if isinstance(channel, str) and is_channel_id(channel) else None
