"""The Slack side of the weekly digests: post one digest with its chart, and the jobs that deliver them.

The exactly-once rule (ledger claim, lease, attempts) is commands/digest_delivery.py; this module hands it
`DigestSlack.send` and `DigestSlack.attach_chart`. Rate limits are the WebClient's retry handler's
(bot/slack_client.py): a short one is waited out there, a long one arrives here as "ratelimited".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.digest import digest_blocks, digest_fallback
from bot.chart import spend_chart_png
from bot.config import Config
from bot.digest_schedule import due_week
from bot.user_names import display_names
from commands.digest import Digest, DigestOptions
from commands.digest_delivery import DeliveryReport, DigestDelivery, Sent
from commands.policy import Policy
from commands.weeks import last_full_week
from storage.db import Database

if TYPE_CHECKING:  # bot.app builds the delivery with this module's pieces
    from bot.app import Built

log = logging.getLogger(__name__)
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


class DigestSlack:
    def __init__(self, client: WebClient, policy: Policy) -> None:
        self.client, self.policy = client, policy  # the policy's lane colours and titles draw the chart

    def send(self, digest: Digest) -> Sent:
        """Post one digest in its channel. Never raises: a failure is Slack's error, or the exception."""
        channel = digest.channel_id
        try:
            blocks = digest_blocks(digest, display_names(self.client, [u.key for u in digest.users]))
            reply = self.client.chat_postMessage(
                channel=channel,
                text=digest_fallback(digest),
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            level = logging.INFO if error in _CANNOT_POST else logging.WARNING
            log.log(level, "digest for %s not posted in %s: %s", digest.week.label, channel, error)
            return Sent(error=error)
        except Exception as exc:  # the network, mostly: this channel fails, the others go on
            log.warning("digest for %s not posted in %s: %r", digest.week.label, channel, exc)
            return Sent(error=type(exc).__name__)
        return Sent(ts=reply.get("ts"))

    def attach_chart(self, digest: Digest, thread_ts: str | None) -> bool:
        """Upload the spend chart into the digest's thread; the digest stands without it."""
        if not digest.summary.spend_nanousd:
            return False
        try:
            self.client.files_upload_v2(
                channel=digest.channel_id,
                thread_ts=thread_ts,
                content=spend_chart_png(digest, self.policy),
                filename=f"routebot-spend-{digest.week.label}.png",
                title=f"Spend per day by lane, {digest.week.label}",
            )
            return True
        except SlackApiError as exc:  # missing_scope, not_allowed_token_type, file uploads turned off...
            log.info("digest chart not attached in %s: %s", digest.channel_id, exc.response.get("error"))
        except Exception as exc:
            log.info("digest chart not attached in %s: %r", digest.channel_id, exc)
        return False


def digest_delivery(client: WebClient, database: Database, policy: Policy, config: Config) -> DigestDelivery:
    """Exactly-once delivery (commands/digest_delivery.py) posting through `client`."""
    slack = DigestSlack(client, policy)
    options = DigestOptions(tz=config.tz, show_users=config.digest_show_users)
    return DigestDelivery(database, policy, options, send=slack.send, attach=slack.attach_chart)


def run_digest_job(built: Built, now: float) -> DeliveryReport:
    """The scheduled job: post last full week's digests (ROUTEBOT_DIGEST_CRON decides when this runs)."""
    week = last_full_week(now, built.bot.config.tz)
    return built.bot.digests.deliver_week(week, now)


def scheduled_digest_job(built: Built) -> DeliveryReport:
    """What APScheduler calls: the clock is read here, once, and passed down."""
    return run_digest_job(built, built.bot.clock())


def post_missed_digests(built: Built, now: float) -> DeliveryReport | None:
    """At startup: post the digest the latest scheduled time was due to post, if the ledger lacks it.

    Covers a bot that was down at the scheduled time and channels that failed on the last try.
    """
    config = built.bot.config
    week = due_week(now, config.digest_cron, config.tz)
    if week is None:
        return None
    return built.bot.digests.deliver_week(week, now)
