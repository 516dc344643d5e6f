"""`/route`: ack at once, route (microseconds), post the card in the channel so runs can use its thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.route_card import card_fallback_text, route_card, usage_blocks
from bot.context import Routebot
from commands.errors import UserError
from commands.route_request import parse_and_check, route_and_record

log = logging.getLogger(__name__)
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register(app: App, bot: Routebot) -> None:
    @app.command("/route")
    def on_route(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            args = parse_and_check(command.get("text") or "", bot.config.max_task_chars)
        except UserError as exc:
            ack(text=exc.message)
            return
        handler = bot.subcommands.get(args.subcommand or "")
        if args.subcommand == "help" or (args.subcommand and handler is None):
            ack(blocks=usage_blocks(bot.usage_extras), text="routebot usage")
            return
        if handler is not None:
            handler(ack, command, client, respond)
            return
        ack()
        _post_card(bot, args, command, client, respond)


def _post_card(
    bot: Routebot, args: Any, command: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    channel, user = command["channel_id"], command["user_id"]
    allowed = bot.allowed_providers(channel)
    routed = route_and_record(
        args,
        policy=bot.policy,
        store=bot.store,
        channel_id=channel,
        user_id=user,
        team_id=command.get("team_id"),
        provider=bot.preferred_provider(channel),
        allowed_providers=allowed,
        dedupe_key=command.get("trigger_id"),
        clock=bot.clock,
    )
    if not routed.new:
        log.info("duplicate /route delivery for request %s ignored", routed.request.id)
        return
    runnable = tuple(p for p in allowed if p in bot.providers)
    unconfigured = tuple(p for p in allowed if p not in bot.providers)
    blocks = route_card(
        task=args.task,
        user_id=user,
        decision=routed.decision,
        policy=bot.policy,
        request_id=routed.request.id,
        runnable=runnable,
        unconfigured=unconfigured,
        allowed=allowed,
    )
    try:
        reply = client.chat_postMessage(
            channel=channel, blocks=blocks, text=card_fallback_text(routed.decision)
        )
        bot.store.set_card(routed.request.id, reply["channel"], reply["ts"])
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error")
        log.info("cannot post the card in %s: %s", channel, error)
        hint = (
            "I can't post in this channel, so this answer is only visible to you and can't be run here. "
            "Invite me with `/invite @routebot` (private channels need it), then `/route` again."
            if error in _CANNOT_POST
            else f"Slack refused the card ({error}); this copy is only visible to you. Try again in a moment."
        )
        blocks = route_card(
            task=args.task,
            user_id=user,
            decision=routed.decision,
            policy=bot.policy,
            request_id=None,
            runnable=(),
            unconfigured=unconfigured,
            allowed=allowed,
            note=hint,
        )
        respond(blocks=blocks, text=hint, response_type="ephemeral")
