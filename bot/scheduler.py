"""Background jobs on APScheduler 3 (BackgroundScheduler): daily retention purge; digests join in issue 4."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import Built
from bot.startup import purge_old_text

log = logging.getLogger(__name__)


def start_scheduler(built: Built) -> BackgroundScheduler | None:
    settings = built.bot.settings
    scheduler = BackgroundScheduler(timezone=settings.tz)
    scheduler.add_job(purge_old_text, CronTrigger(hour=3, minute=17, timezone=settings.tz), args=[built],
                      id="retention", coalesce=True, misfire_grace_time=6 * 3600, replace_existing=True)
    scheduler.start()
    return scheduler
