"""Channel settings: `/route settings` (a modal, editable by admins) and saving it.

What the settings decide elsewhere (the providers cards offer, the budget and approval gates, the 80%
warning) is wired in bot/app.py.

Permission is checked on the server for every save (https://api.slack.com/surfaces/modals#handling_submissions):
the modal a non-admin sees has no submit button, but a crafted view_submission must change nothing either.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.learning import learning_blocks
from bot.blocks.settings import ACTION, change_notice, settings_modal
from bot.permissions import Permissions
from commands.budget import spend_line, week_spend
from commands.channel_settings import (
    APPROVAL_FIELD,
    BUDGET_FIELD,
    PROVIDERS_FIELD,
    THREAD_CONTEXT_FIELD,
    Channels,
    is_channel_id,
    validate_form,
)
from commands.learning import Learning
from commands.policy import Policy
from storage.channel_settings import ChannelSettingsStore
from storage.db import Database

log = logging.getLogger(__name__)
USAGE = "• `/route settings`: this channel's providers, weekly budget and approvals (admins can change them)"
NOT_ALLOWED = "Only workspace admins, owners and ROUTEBOT_ADMINS can change channel settings."
OUT_OF_DATE = "This window is out of date; close it and run /route settings again."
CHANGED_SINCE = (
    "Someone saved these settings after you opened this window, so this save would undo their change. "
    "Close it and run /route settings again to see the current settings."
)


class ChannelSettingsForm:
    def __init__(
        self,
        *,
        policy: Policy,
        database: Database,
        store: ChannelSettingsStore,
        channels: Channels,
        permissions: Permissions,
        clock: Callable[[], float],
        tz: str,
        who: str,
        learning: Learning,
    ) -> None:
        self.policy, self.database, self.store, self.channels = policy, database, store, channels
        self.permissions, self.clock, self.tz, self.who = permissions, clock, tz, who
        self.learning = learning

    def open(self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """`/route settings`: the modal, editable for those who may change the settings."""
        ack()
        channel = command["channel_id"]
        settings = self.channels.settings(channel)
        _week, spend = week_spend(self.database, channel, self.clock(), self.tz)
        editable = self.permissions.is_allowed(command["user_id"])
        learned = learning_blocks(
            self.learning.state(channel),
            self.learning.kinds(channel, self.channels.preferred_provider(channel), self.clock()),
            self.policy,
            editable=editable,
        )
        view = settings_modal(
            settings,
            policy=self.policy,
            default_provider=self.channels.default_provider,
            editable=editable,
            who=self.who,
            spend=spend_line(spend, settings.budget_nanousd),
            learning=learned,
        )
        try:
            client.views_open(trigger_id=command["trigger_id"], view=view)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("views.open for /route settings failed: %s", error)
            respond(
                text=f"Slack did not open the settings window ({error}); try `/route settings` again.",
                response_type="ephemeral",
            )

    def on_save(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        opened = _opened_at(view)
        if opened is None:
            ack(response_action="errors", errors={PROVIDERS_FIELD: OUT_OF_DATE})
            return
        channel, version = opened
        if not self.permissions.is_allowed(user):
            log.warning("%s submitted settings for %s but may not change them", user, channel)
            ack(response_action="errors", errors={PROVIDERS_FIELD: NOT_ALLOWED})
            return
        result = validate_form(self.channels.settings(channel), form_values(view), self.policy)
        if result.settings is None:
            ack(response_action="errors", errors=result.errors)
            return
        changes = self.store.save(
            result.settings, self.channels.defaults(channel), user, self.clock(), made_from=version
        )
        if changes is None:
            log.info(
                "%s saved settings for %s from version %s, changed since: refused", user, channel, version
            )
            ack(response_action="errors", errors={PROVIDERS_FIELD: CHANGED_SINCE})
            return
        ack()
        if not changes:
            return
        notice = change_notice(changes, self.policy, self.channels.default_provider)
        try:
            client.chat_postMessage(channel=channel, **notice)
        except SlackApiError as exc:  # recorded all the same: the audit table has it
            log.warning("could not announce settings changed in %s: %s", channel, exc.response.get("error"))


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted fields as plain values; a field absent from the payload is left out (kept as it was)."""
    # A crafted payload may put anything anywhere: a wrong shape counts as an empty field or a wrong value,
    # which validation answers in the modal, never as an exception.
    values = _mapping(_mapping(view.get("state")).get("values"))
    raw: dict[str, Any] = {}
    for field in (PROVIDERS_FIELD, APPROVAL_FIELD, THREAD_CONTEXT_FIELD):
        if field in values:
            selected = _mapping(_mapping(values[field]).get(ACTION)).get("selected_options")
            options = selected if isinstance(selected, list) else []
            raw[field] = [str(o.get("value")) for o in options if isinstance(o, dict)]
    if BUDGET_FIELD in values:
        raw[BUDGET_FIELD] = _mapping(_mapping(values[BUDGET_FIELD]).get(ACTION)).get("value")
    return raw


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _opened_at(view: dict[str, Any]) -> tuple[str, int] | None:
    """The channel and settings version the modal was opened for; None for a window we did not open."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, TypeError, RecursionError):
        return None
    channel, version = _mapping(metadata).get("channel"), _mapping(metadata).get("version")
    if not isinstance(channel, str) or not is_channel_id(channel):
        return None
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return None
    return channel, version
