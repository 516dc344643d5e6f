"""ROUTEBOT_DIGEST_CRON: crontab's weekdays (not APScheduler 3's), validated at startup; which week is due."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_config
from bot.digest_schedule import crontab_trigger, due_week, latest_fire_time
from commands.errors import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")


def _at(text: str, zone: ZoneInfo = BERLIN) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone).timestamp()


@pytest.mark.parametrize(
    ("weekday", "fires_on"),
    [("1", "Mon"), ("0", "Sun"), ("7", "Sun"), ("mon", "Mon"), ("1-5", "Mon"), ("6", "Sat"), ("*/2", "Sun")],
)
def test_numeric_weekdays_mean_what_they_mean_in_crontab(weekday: str, fires_on: str) -> None:
    # APScheduler 3's own from_crontab would read "1" as Tuesday and "0" as Monday.
    trigger = crontab_trigger(f"0 9 * * {weekday}", "Europe/Berlin")
    fire = trigger.get_next_fire_time(None, datetime(2026, 3, 7, 12, 0, tzinfo=BERLIN))  # a Saturday noon
    assert fire is not None and fire.strftime("%a %H:%M") == f"{fires_on} 09:00"


def test_every_weekday_list_is_translated() -> None:
    trigger = crontab_trigger("30 8 * * 1-5", "UTC")
    assert "day_of_week='mon,tue,wed,thu,fri'" in repr(trigger)


@pytest.mark.parametrize(
    "cron", ["every monday", "0 9 * *", "0 9 * * 8", "61 9 * * 1", "0 9 * * 5-1", "0 25 * * *"]
)
def test_a_bad_schedule_stops_startup_naming_the_variable(cron: str) -> None:
    with pytest.raises(ConfigError, match="ROUTEBOT_DIGEST_CRON must be a crontab line"):
        load_config({"ROUTEBOT_DIGEST_CRON": cron})


def test_the_default_schedule_is_monday_nine() -> None:
    assert load_config({}).digest_cron == "0 9 * * mon"
    assert load_config({"ROUTEBOT_DIGEST_CRON": "0 7 * * 1"}).digest_cron == "0 7 * * 1"


def test_the_week_due_is_the_one_the_latest_scheduled_time_reports() -> None:
    cron = "0 9 * * mon"
    # Monday 9 March 2026, 10:00 in Berlin: this morning's digest reports 2 - 8 March.
    week = due_week(_at("2026-03-09 10:00"), cron, "Europe/Berlin")
    assert week is not None and week.label == "2026-W10"
    # At 08:00 this morning's has not come yet; the latest was a week ago, for the week before.
    week = due_week(_at("2026-03-09 08:00"), cron, "Europe/Berlin")
    assert week is not None and week.label == "2026-W09"
    assert latest_fire_time(_at("2026-03-09 09:00"), cron, "Europe/Berlin") == _at("2026-03-09 09:00")


def test_a_schedule_that_never_fires_in_the_lookback_is_never_due() -> None:
    assert due_week(_at("2026-03-09 10:00"), "0 9 29 2 *", "Europe/Berlin") is None  # 29 Feb only
