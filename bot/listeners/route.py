"""`/route`: ack at once, then route, record and post the card in the channel (so runs can use its thread)
on the card queue (bot/card_queue.py), off the threads that answer Slack.

`/route help` and the subcommands build_app hands in (`/route settings`, `/route digest`) are answered here
too, since Slack sends them all as one slash command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.route_card import card_fallback_text, route_card, usage_blocks
from bot.button_seal import ButtonSeal
from bot.card_queue import CardQueue
from commands.channel_settings import Channels
from commands.errors import UserError
from commands.learning import Learning
from commands.policy import Policy
from commands.providers import Provider
from commands.route_args import RouteArgs
from commands.route_request import parse_and_check, route_and_record
from commands.slack_text import decode
from storage.runs import RunStore

log = logging.getLogger(__name__)
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


@dataclass(frozen=True)
class Subcommand:
    """`/route NAME`: its handler (Bolt's ack, command, client, respond) and its line in the usage text."""

    handle: Callable[[Ack, dict[str, Any], WebClient, Respond], None]
    usage: str


class RouteCommand:
    def __init__(
        self,
        *,
        policy: Policy,
        store: RunStore,
        providers: Mapping[str, Provider],
        channels: Channels,
        clock: Callable[[], float],
        max_task_chars: int,
        subcommands: Mapping[str, Subcommand],
        seal: ButtonSeal,
        cards: CardQueue,
        learning: Learning | None = None,
    ) -> None:
        self.policy, self.store, self.providers, self.channels = policy, store, providers, channels
        self.clock, self.max_task_chars, self.subcommands = clock, max_task_chars, subcommands
        self.seal = seal  # the card's Run buttons are sealed
        self.cards, self.learning = cards, learning

    def on_route(self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            # Slack sends slash-command text with `&`, `<` and `>` entity-encoded: decoded once, here.
            args = parse_and_check(decode(command.get("text") or ""), self.max_task_chars)
        except UserError as exc:
            ack(text=exc.message)
            return
        subcommand = self.subcommands.get(args.subcommand or "")
        if args.subcommand == "help" or (args.subcommand and subcommand is None):
            usage = tuple(s.usage for s in self.subcommands.values())
            ack(blocks=usage_blocks(usage), text="routebot usage")
            return
        if subcommand is not None:
            subcommand.handle(ack, command, client, respond)
            return
        ack()
        self.cards.submit(command["channel_id"], partial(self._post_card, args, command, client, respond))

    def _post_card(
        self, args: RouteArgs, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        channel, user = command["channel_id"], command["user_id"]
        # One settings read per /route: each is a query on this thread's connection.
        allowed = self.channels.allowed_providers(channel)
        routed = route_and_record(
            args,
            policy=self.policy,
            store=self.store,
            channel_id=channel,
            user_id=user,
            team_id=command.get("team_id"),
            provider=self.channels.preferred_among(allowed),
            allowed_providers=allowed,
            dedupe_key=command.get("trigger_id"),
            clock=self.clock,
            learning=self.learning,
        )
        if not routed.new:
            log.info("duplicate /route delivery for request %s ignored", routed.request.id)
            return
        runnable = tuple(p for p in allowed if p in self.providers)
        unconfigured = tuple(p for p in allowed if p not in self.providers)
        blocks = route_card(
            task=args.task,
            user_id=user,
            decision=routed.decision,
            policy=self.policy,
            request_id=routed.request.id,
            runnable=runnable,
            unconfigured=unconfigured,
            allowed=allowed,
            learned=routed.adjustment is not None,
        )
        try:
            reply = client.chat_postMessage(
                channel=channel, blocks=self.seal.blocks(blocks), text=card_fallback_text(routed.decision)
            )
            self.store.set_card(routed.request.id, reply["channel"], reply["ts"])
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error")
            log.info("cannot post the card in %s: %s", channel, error)
            hint = (
                "I can't post in this channel, so this answer is only visible to you and can't be run here. "
                "Invite me with `/invite @routebot` (private channels need it), then `/route` again."
                if error in _CANNOT_POST
                else f"Slack refused the card ({error}); this copy is only visible to you. "
                "Try again in a moment."
            )
            blocks = route_card(
                task=args.task,
                user_id=user,
                decision=routed.decision,
                policy=self.policy,
                request_id=None,
                runnable=(),
                unconfigured=unconfigured,
                allowed=allowed,
                note=hint,
                learned=routed.adjustment is not None,
            )
            respond(blocks=blocks, text=hint, response_type="ephemeral")
