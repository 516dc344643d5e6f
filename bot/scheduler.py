"""Background jobs on APScheduler 3 (BackgroundScheduler): daily retention purge, weekly digests."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import Built
from bot.digest_post import scheduled_digest_job
from bot.digest_schedule import crontab_trigger
from bot.startup import purge_old_text

log = logging.getLogger(__name__)
# APScheduler's default misfire grace is 1 s: a firing delayed longer would be dropped. A bot that was down
# for longer posts at its next start instead (bot.digest_post.post_missed_digests).
DIGEST_GRACE = 12 * 3600


def start_scheduler(built: Built) -> BackgroundScheduler | None:
    config = built.bot.config
    scheduler = BackgroundScheduler(timezone=config.tz)
    scheduler.add_job(
        purge_old_text,
        CronTrigger(hour=3, minute=17, timezone=config.tz),
        args=[built],
        id="retention",
        coalesce=True,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    scheduler.add_job(
        scheduled_digest_job,
        crontab_trigger(config.digest_cron, config.tz),
        args=[built],
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=DIGEST_GRACE,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
