"""Channel settings: `/route settings` (a modal, editable by admins), saving it, and wiring the rules in.

`register` also installs what the settings decide elsewhere: the providers a channel's cards and escalation
buttons offer, the budget and approval gates every run passes before it is claimed, the 80% budget warning
after each run, the Approve / Decline buttons and the App Home tab.

Permission is checked on the server for every save (https://api.slack.com/surfaces/modals#handling_submissions):
the modal a non-admin sees has no submit button, but a crafted view_submission must change nothing either.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.settings import ACTION, CALLBACK_ID, change_notice, settings_modal
from bot.budget_watch import BudgetWatch
from bot.context import Routebot
from bot.listeners import approvals as approval_listeners
from bot.listeners import home as home_listeners
from bot.permissions import Permissions
from commands.approvals import approval_gate
from commands.budget import budget_gate, spend_line, week_spend
from commands.channel_settings import (
    APPROVAL_FIELD,
    BUDGET_FIELD,
    PROVIDERS_FIELD,
    default_settings,
    effective_settings,
    is_channel_id,
    validate_form,
    who_can_change,
)
from storage.approvals import ApprovalStore
from storage.channel_settings import ChannelSettings, ChannelSettingsStore

log = logging.getLogger(__name__)
USAGE = "• `/route settings`: this channel's providers, weekly budget and approvals (admins can change them)"
NOT_ALLOWED = "Only workspace admins, owners and ROUTEBOT_ADMINS can change channel settings."


def register(app: App, bot: Routebot) -> None:
    store = ChannelSettingsStore(bot.database)
    approvals = ApprovalStore(bot.database)
    permissions = Permissions(app.client, bot.config.admins, bot.clock)
    who = who_can_change(bot.config.admins)

    def settings_of(channel_id: str) -> ChannelSettings:
        return effective_settings(store.get(channel_id), channel_id)

    bot.channel_prefs = settings_of
    bot.runs.channel_providers = bot.allowed_providers
    bot.runs.gates.extend(
        [  # budget first: nobody is asked to approve a run the budget would stop
            budget_gate(settings_of, bot.database, bot.clock, bot.config.tz, who),
            approval_gate(settings_of, permissions.is_allowed, approvals, bot.policy),
        ]
    )
    watch = BudgetWatch(app.client, bot.database, store, settings_of, bot.clock, bot.config.tz, who)
    bot.dispatcher.finished_hooks.append(watch.after_run)
    bot.usage_extras = (*bot.usage_extras, USAGE)
    approval_listeners.register(app, bot, approvals, permissions)
    home_listeners.register(app, bot, store, settings_of)

    def open_settings(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        channel = command["channel_id"]
        settings = settings_of(channel)
        _week, spend = week_spend(bot.database, channel, bot.clock(), bot.config.tz)
        view = settings_modal(
            settings,
            policy=bot.policy,
            default_provider=bot.config.provider,
            editable=permissions.is_allowed(command["user_id"]),
            who=who,
            spend=spend_line(spend, settings.budget_nanousd),
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

    bot.subcommands["settings"] = open_settings

    @app.view(CALLBACK_ID)
    def on_save(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        channel = _channel_of(view)
        if channel is None:
            ack(response_action="errors", errors={PROVIDERS_FIELD: "This window is out of date; reopen it."})
            return
        if not permissions.is_allowed(user):
            log.warning("%s submitted settings for %s but may not change them", user, channel)
            ack(response_action="errors", errors={PROVIDERS_FIELD: NOT_ALLOWED})
            return
        result = validate_form(settings_of(channel), form_values(view))
        if result.settings is None:
            ack(response_action="errors", errors=result.errors)
            return
        changes = store.save(result.settings, default_settings(channel), user, bot.clock())
        ack()
        if not changes:
            return
        notice = change_notice(changes, bot.policy, bot.config.provider)
        try:
            client.chat_postMessage(channel=channel, **notice)
        except SlackApiError as exc:  # recorded all the same: the audit table has it
            log.warning("could not announce settings changed in %s: %s", channel, exc.response.get("error"))


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted fields as plain values; a field absent from the payload is left out (kept as it was)."""
    values = (view.get("state") or {}).get("values") or {}
    raw: dict[str, Any] = {}
    for field in (PROVIDERS_FIELD, APPROVAL_FIELD):
        if field in values:
            selected = (values[field].get(ACTION) or {}).get("selected_options") or []
            raw[field] = [option.get("value") for option in selected if isinstance(option, dict)]
    if BUDGET_FIELD in values:
        raw[BUDGET_FIELD] = (values[BUDGET_FIELD].get(ACTION) or {}).get("value")
    return raw


def _channel_of(view: dict[str, Any]) -> str | None:
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (json.JSONDecodeError, AttributeError):
        return None
    return channel if isinstance(channel, str) and is_channel_id(channel) else None
