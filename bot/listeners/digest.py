"""`/route digest`: this channel's spend and escalations this week so far, shown only to the caller."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.digest import digest_blocks, digest_fallback
from bot.context import Routebot
from bot.digest_post import display_names
from commands.digest import DigestOptions, compute_digests
from commands.weeks import week_containing

USAGE = "• `/route digest`: this channel's spend and escalations this week so far, only to you"


def register(app: App, bot: Routebot) -> None:
    def on_digest(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()  # one channel's week is a few small queries, but Slack's 3 seconds are not ours to spend
        now = bot.clock()
        config = bot.config
        week = week_containing(now, config.tz)
        options = DigestOptions(tz=config.tz, show_users=config.digest_show_users)
        digests = compute_digests(
            bot.database, bot.policy, week, options, now=now, channels=[command["channel_id"]]
        )
        if not digests:
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=f"No runs in this channel this week ({week.label}) yet: nothing to add up.",
            )
            return
        digest = digests[0]
        names = display_names(client, [u.key for u in digest.users])
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=digest_fallback(digest),
            blocks=digest_blocks(digest, names),
        )

    bot.subcommands["digest"] = on_digest
    bot.usage_extras = (*bot.usage_extras, USAGE)
