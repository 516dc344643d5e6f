"""Weeks as routebot counts them: Monday 00:00 to Monday 00:00 in the team's time zone (ROUTEBOT_TZ).

Pure functions of `now` (Unix seconds) and a zone name, so digests and budgets agree and tests fix the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from commands.errors import UsageError

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)  # 2026-w47 is the same week


@dataclass(frozen=True)
class Week:
    label: str  # ISO week, e.g. 2026-W48
    start: float  # Unix seconds, inclusive
    end: float  # Unix seconds, exclusive

    def previous(self, tz: str) -> Week:
        return week_containing(self.start - 1, tz)


def _week_from_monday(monday: date, tz: str) -> Week:
    zone = ZoneInfo(tz)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    nxt = monday + timedelta(days=7)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    year, number, _ = monday.isocalendar()
    return Week(f"{year}-W{number:02d}", start.timestamp(), end.timestamp())


def week_containing(now: float, tz: str) -> Week:
    local = datetime.fromtimestamp(now, ZoneInfo(tz)).date()
    return _week_from_monday(local - timedelta(days=local.weekday()), tz)


def last_full_week(now: float, tz: str) -> Week:
    """The week before the one `now` falls in: what a Monday-morning digest reports."""
    return week_containing(now, tz).previous(tz)


def parse_week(label: str, tz: str) -> Week:
    match = _ISO_WEEK.match(label.strip())
    if not match:
        raise UsageError(f"Week must look like 2026-W48, got {label!r}.")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise UsageError(f"{label} is not a week of {year}.") from None
    if monday.year >= 9999:  # its end, the next Monday, is past the last date Python can represent
        raise UsageError(f"{label} is too far in the future.")
    return _week_from_monday(monday, tz)
