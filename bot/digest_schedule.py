"""When digests are due: ROUTEBOT_DIGEST_CRON as an APScheduler 3 trigger, and the week a firing reports.

APScheduler 3's from_crontab numbers weekdays from Monday = 0, unlike crontab's Sunday = 0 (its own docs
warn of this; fixed only in 4.x), so numeric weekdays are turned into names first: `0 9 * * 1` is Monday in
routebot, as in crontab.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from commands.weeks import Week, last_full_week

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab numbers, 7 is Sunday again
LOOKBACK_DAYS = 8  # a catch-up looks this far back for the latest scheduled time


def crontab_trigger(expression: str, tz: str) -> CronTrigger:
    """A CronTrigger for a five-field crontab line; raises ValueError with the reason when it is not one."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    fields[4] = _weekday_names(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=tz)


def _weekday_names(field: str) -> str:
    """Crontab weekdays as APScheduler names: `1-5` -> mon,...,fri; `0,6` -> sun,sat; `*/2` -> sun,tue,..."""
    if not any(c.isdigit() for c in field):
        return field  # "*" or names, which mean the same to both
    names: list[str] = []
    for part in field.lower().split(","):
        body, slash, step = part.partition("/")
        if body == "*":
            first, last = 0, 6
        elif not any(c.isdigit() for c in body):
            names.append(part)  # a name or a range of names
            continue
        else:
            low, _, high = body.partition("-")
            first = _number(low, 0, 7)
            last = _number(high, 0, 7) if high else (6 if slash else first)
        if last < first:
            raise ValueError(f"weekday range {body} runs backwards")
        names += [_DAYS[d] for d in range(first, last + 1, _number(step, 1, 7) if slash else 1)]
    return ",".join(dict.fromkeys(names))


def _number(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"weekday {text!r} is not a number from {low} to {high}")
    return int(text)


def latest_fire_time(now: float, cron: str, tz: str) -> float | None:
    """The most recent scheduled time at or before `now`, within LOOKBACK_DAYS; None if there is none."""
    trigger = crontab_trigger(cron, tz)
    moment = datetime.fromtimestamp(now - LOOKBACK_DAYS * 86_400, ZoneInfo(tz))
    latest = None
    fire = trigger.get_next_fire_time(None, moment)
    while fire is not None and fire.timestamp() <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return latest.timestamp() if latest else None


def due_week(now: float, cron: str, tz: str) -> Week | None:
    """The week whose digest is due at `now`: the one the latest scheduled time reports (its last full week).

    Before this week's scheduled time it is the week before last, already posted in the normal course; a
    restart after the scheduled time finds last week's digest due, and posts it if the ledger says it wasn't.
    """
    fired = latest_fire_time(now, cron, tz)
    return last_full_week(fired, tz) if fired is not None else None
