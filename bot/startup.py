"""What routebot does once at startup, before it takes requests: recover and tidy up."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.app import Built
from bot.digest_post import post_missed_digests
from commands.digest_delivery import DeliveryReport

log = logging.getLogger(__name__)
DAY = 86_400.0


@dataclass(frozen=True)
class StartupReport:
    interrupted: int  # runs a dead process left in flight, now interrupted, their threads told
    delivered: int  # outcomes a dead process stored but never posted, posted now
    purged: int
    digests: DeliveryReport | None = None  # the catch-up of a missed weekly digest


def on_startup(built: Built) -> StartupReport:
    """Only runs whose owner's lease expired are taken over: another routebot on the same database (a
    rolling deploy) keeps its own. Those still leased are picked up by the heartbeat once they expire."""
    bot = built.bot
    now = bot.clock()
    interrupted, delivered = bot.dispatcher.recover(now)
    bot.dispatcher.leases.start()
    purged = purge_old_text(built)
    digests = post_missed_digests(built, now)
    if interrupted:
        log.warning(
            "%d run(s) were in progress when routebot stopped; their threads were told", len(interrupted)
        )
    if delivered:
        log.warning("%d stored result(s) had not reached Slack; posted them now", len(delivered))
    return StartupReport(
        interrupted=len(interrupted), delivered=len(delivered), purged=purged, digests=digests
    )


def purge_old_text(built: Built) -> int:
    """ROUTEBOT_RETENTION_DAYS: drop task and answer text past the period; costs and metadata stay."""
    bot = built.bot
    now = bot.clock()
    purged = bot.store.purge_text(before=now - bot.config.retention_days * DAY, now=now)
    if purged:
        log.info("removed the text of %d request(s) older than %d days", purged, bot.config.retention_days)
    return purged
