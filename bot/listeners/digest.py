"""`/route digest`: this channel's spend and escalations this week so far, shown only to the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.blocks.digest import digest_blocks, digest_fallback
from bot.user_names import display_names
from commands.digest import DigestOptions, compute_digests
from commands.policy import Policy
from commands.weeks import week_containing
from storage.db import Database

USAGE = "• `/route digest`: this channel's spend and escalations this week so far, only to you"


class DigestCommand:
    def __init__(
        self, *, database: Database, policy: Policy, options: DigestOptions, clock: Callable[[], float]
    ) -> None:
        self.database, self.policy, self.options, self.clock = database, policy, options, clock

    def show(self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()  # one channel's week is a few small queries, but Slack's 3 seconds are not ours to spend
        now = self.clock()
        week = week_containing(now, self.options.tz)
        digests = compute_digests(
            self.database, self.policy, week, self.options, now=now, channels=[command["channel_id"]]
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
