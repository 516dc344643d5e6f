"""`routebot digest [--week YYYY-Www] [--channel C] [--post]`: a digest as text, or posted, for operators.

A complete week posted with --post goes through the ledger like the weekly job, so neither posts it twice;
the current week so far is posted as such and not recorded, so next Monday's digest still goes out.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import TextIO

from slack_sdk import WebClient

from bot.config import Config, load_config
from bot.digest_post import digest_delivery
from bot.preflight import open_database
from commands.digest import DigestOptions, compute_digests
from commands.digest_text import render_text
from commands.errors import ConfigError, UsageError
from commands.policy import load_policy
from commands.weeks import parse_week, week_containing

# Public channels start with C, private ones (and old group DMs) with G; names are lower-case.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def run_digest_command(
    *,
    week: str | None,
    channel: str | None,
    post: bool,
    out: TextIO,
    config: Config | None = None,
    clock: Callable[[], float] = time.time,
    client: WebClient | None = None,
) -> int:
    if channel is not None and not _CHANNEL_ID.fullmatch(channel):
        raise UsageError(
            f"--channel takes a channel id such as C0123ABCD, not a name ({channel!r}); in Slack, open the"
            " channel's name, and the id is at the bottom of the About tab"
        )
    config = config or load_config()
    now = clock()
    target = parse_week(week, config.tz) if week else week_containing(now, config.tz)
    if target.start > now:
        raise UsageError(f"{target.label} has not started yet.")
    if not os.path.exists(config.db_path):
        raise ConfigError(f"no database at {config.db_path} (ROUTEBOT_DB)")
    database = open_database(config)
    policy = load_policy(config.policy_path)
    channels = [channel] if channel else None
    where = f" in {channel}" if channel else ""
    if not post:
        options = DigestOptions(tz=config.tz, show_users=config.digest_show_users)
        digests = compute_digests(database, policy, target, options, now=now, channels=channels)
        if not digests:
            out.write(f"No runs{where} in {target.label}.\n")
            return 0
        out.write("\n\n".join(render_text(d) for d in digests) + "\n")
        return 0
    if client is None:
        if not config.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set; --post needs the bot token (xoxb-...)")
        from bot.slack_client import slack_client

        client = slack_client(config)
    delivery = digest_delivery(client, database, policy, config)
    if now >= target.end:
        report = delivery.deliver_week(target, now, channels=channels)
        failed = report.failed
        lines = [f"posted in {c}" for c in report.posted]
        lines += [f"not posted in {c}: {e}" for c, e in failed.items()]
        lines += [f"skipped {c}: posted before (or given up after repeated failures)" for c in report.skipped]
    else:
        report = delivery.deliver_unrecorded(target, now, channels=channels)
        failed = report.failed
        lines = [f"posted {target.label} so far in {c}" for c in report.posted]
        lines += [f"not posted in {c}: {e}" for c, e in failed.items()]
    out.write("\n".join(lines or [f"No runs{where} in {target.label}."]) + "\n")
    return 1 if failed else 0
