"""Slash-command triggers: a redelivery is recognised, and old triggers do not pile up."""

from __future__ import annotations

from pathlib import Path

from storage.command_triggers import KEPT_SECONDS, CommandTriggers
from storage.db import Database

T0 = 1_000_000.0


def test_a_trigger_is_handled_once_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    first, second = CommandTriggers(Database(path)), CommandTriggers(Database(path))
    assert first.first_time("13345224609.738474", "/escalate", T0)
    assert not second.first_time("13345224609.738474", "/escalate", T0 + 1)
    assert second.first_time("13345224609.999999", "/escalate", T0 + 1)


def test_triggers_older_than_a_day_are_forgotten(tmp_path: Path) -> None:
    database = Database(str(tmp_path / "r.db"))
    triggers = CommandTriggers(database)
    triggers.first_time("old", "/escalate", T0)
    triggers.first_time("recent", "/escalate", T0 + KEPT_SECONDS - 10)
    triggers.first_time("new", "/escalate", T0 + KEPT_SECONDS + 1)
    kept = database.conn.execute("SELECT trigger_id FROM command_triggers ORDER BY at").fetchall()
    assert kept == [("recent",), ("new",)]
