"""Posting the weekly digests: one message per (channel, week), whatever restarts or double firings happen.

Each channel is claimed in the ledger (storage/digest_ledger.py) before its message is sent and marked posted
after, so a second firing, a restart or the startup catch-up finds it done. A channel Slack refuses
(not_in_channel, channel_not_found, is_archived, a rate limit that outlasts our patience) is marked failed
and logged, and the others go on; the next start claims the failed ones again, up to MAX_ATTEMPTS.
If routebot dies between Slack's answer and the ledger update, the claim expires after LEASE and the digest
is posted again: the one way to get two, preferred to never posting it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.digest import digest_blocks, digest_fallback
from bot.chart import spend_chart_png
from bot.config import Config
from bot.digest_schedule import due_week
from commands.digest import Digest, DigestOptions, compute_digests
from commands.policy import Policy
from commands.weeks import Week, last_full_week
from storage.db import Database
from storage.digest_ledger import DigestLedger
from storage.digests import active_channels

if TYPE_CHECKING:  # bot.app imports the listeners, which import this module
    from bot.app import Built

log = logging.getLogger(__name__)
LEASE = 15 * 60.0  # seconds a claim holds before it counts as abandoned by a crash
MAX_ATTEMPTS = 5  # a channel that keeps failing is given up on for that week
RATE_LIMIT_RETRIES = 2
MAX_RATE_LIMIT_WAIT = 30.0  # seconds; Slack asks for about a second per message per channel
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


@dataclass
class PostReport:
    week: str
    posted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> Slack's error
    skipped: list[str] = field(default_factory=list)  # posted before, being posted elsewhere, or given up


class DigestPoster:
    def __init__(
        self,
        client: WebClient,
        database: Database,
        policy: Policy,
        config: Config,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.database, self.policy, self.config = client, database, policy, config
        self.ledger = DigestLedger(database)
        self.sleep = sleep

    @classmethod
    def of(cls, built: Built, sleep: Callable[[float], None] = time.sleep) -> DigestPoster:
        bot = built.bot
        return cls(built.app.client, bot.database, bot.policy, bot.config, sleep=sleep)

    def options(self) -> DigestOptions:
        return DigestOptions(tz=self.config.tz, show_users=self.config.digest_show_users)

    def post_week(self, week: Week, now: float, channels: Iterable[str] | None = None) -> PostReport:
        """Post `week`'s digest in every channel with runs that week (or in `channels`) not yet posted."""
        report = PostReport(week.label)
        done = {
            e.channel_id
            for e in self.ledger.entries(week.label)
            if e.status == "posted" or e.attempts >= MAX_ATTEMPTS
        }
        if channels is None:
            channels = active_channels(self.database, week.start, week.end)
        names = list(channels)
        report.skipped += [c for c in names if c in done]
        todo = [c for c in names if c not in done]
        digests: list[Digest] = []
        if todo:
            digests = compute_digests(self.database, self.policy, week, self.options(), channels=todo)
        for digest in digests:
            if not self.ledger.claim(
                digest.channel_id, week.label, now=now, lease=LEASE, max_attempts=MAX_ATTEMPTS
            ):
                report.skipped.append(digest.channel_id)
                continue
            error = self.post(digest, now)
            if error is None:
                report.posted.append(digest.channel_id)
            else:
                self.ledger.failed(digest.channel_id, week.label, error=error, now=now)
                report.failed[digest.channel_id] = error
        if report.posted or report.failed:
            log.info(
                "digests for %s: %d posted, %d failed (%s), %d skipped",
                week.label,
                len(report.posted),
                len(report.failed),
                ", ".join(f"{c}: {e}" for c, e in report.failed.items()) or "none",
                len(report.skipped),
            )
        return report

    def post(self, digest: Digest, now: float, *, record: bool = True) -> str | None:
        """Send one digest (and its chart); None when it was posted, else Slack's error. Never raises.

        With `record`, the ledger (claimed by the caller) is marked posted.
        """
        channel = digest.channel_id
        try:
            blocks = digest_blocks(digest, display_names(self.client, [u.key for u in digest.users]))
            reply = self._with_rate_limit(
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    text=digest_fallback(digest),
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            level = logging.INFO if error in _CANNOT_POST else logging.WARNING
            log.log(level, "digest for %s not posted in %s: %s", digest.week.label, channel, error)
            return error
        except Exception as exc:  # the network, mostly: this channel fails, the others go on
            log.warning("digest for %s not posted in %s: %r", digest.week.label, channel, exc)
            return type(exc).__name__
        if record:
            self.ledger.posted(channel, digest.week.label, ts=reply.get("ts"), now=now)
        self.attach_chart(digest, reply.get("ts"))
        return None

    def attach_chart(self, digest: Digest, thread_ts: str | None) -> bool:
        """Upload the spend chart into the digest's thread; the digest stands without it."""
        if not digest.summary.spend_nanousd:
            return False
        try:
            self.client.files_upload_v2(
                channel=digest.channel_id,
                thread_ts=thread_ts,
                content=spend_chart_png(digest.days),
                filename=f"routebot-spend-{digest.week.label}.png",
                title=f"Spend per day by lane, {digest.week.label}",
            )
            return True
        except SlackApiError as exc:  # missing_scope, not_allowed_token_type, file uploads turned off...
            log.info("digest chart not attached in %s: %s", digest.channel_id, exc.response.get("error"))
        except Exception as exc:
            log.info("digest chart not attached in %s: %r", digest.channel_id, exc)
        return False

    def _with_rate_limit(self, call):  # type: ignore[no-untyped-def]
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return call()
            except SlackApiError as exc:
                if exc.response.status_code != 429 or attempt == RATE_LIMIT_RETRIES:
                    raise
                wait = _retry_after(exc)
                if wait > MAX_RATE_LIMIT_WAIT:
                    raise
                log.info("rate limited posting a digest; waiting %.0f s", wait)
                self.sleep(wait)
        raise AssertionError("unreachable")


def display_names(client: WebClient, user_ids: Sequence[str], limit: int = 5) -> dict[str, str]:
    """Names for the per-person lines (users.info), so the digest names people without pinging them."""
    names = {}
    for user_id in user_ids[:limit]:
        try:
            user = client.users_info(user=user_id)["user"]
            profile = user.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or user.get("name")
            names[user_id] = name or user_id
        except Exception:  # a name is a nicety: fall back to the id
            names[user_id] = user_id
    return names


def _retry_after(exc: SlackApiError) -> float:
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def run_digest_job(built: Built, now: float, sleep: Callable[[float], None] = time.sleep) -> PostReport:
    """The scheduled job: post last full week's digests (ROUTEBOT_DIGEST_CRON decides when this runs)."""
    week = last_full_week(now, built.bot.config.tz)
    return DigestPoster.of(built, sleep).post_week(week, now)


def scheduled_digest_job(built: Built) -> PostReport:
    """What APScheduler calls: the clock is read here, once, and passed down."""
    return run_digest_job(built, built.bot.clock())


def post_missed_digests(
    built: Built, now: float, sleep: Callable[[float], None] = time.sleep
) -> PostReport | None:
    """At startup: post the digest the latest scheduled time was due to post, if the ledger lacks it.

    Covers a bot that was down at the scheduled time and channels that failed on the last try.
    """
    config = built.bot.config
    week = due_week(now, config.digest_cron, config.tz)
    if week is None:
        return None
    return DigestPoster.of(built, sleep).post_week(week, now)
