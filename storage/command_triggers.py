"""Slash commands already handled, by Slack's trigger_id: a redelivered command is recognised and skipped."""

from __future__ import annotations

import sqlite3

from storage.db import Database

KEPT_SECONDS = 24 * 3600
"""How long a trigger_id is remembered: Slack redelivers within seconds to minutes, so a day is ample."""


class CommandTriggers:
    def __init__(self, database: Database) -> None:
        self.database = database

    def first_time(self, trigger_id: str, command: str, now: float) -> bool:
        """Record this delivery; False when the same trigger_id was handled before (a Slack retry).

        Also forgets triggers older than KEPT_SECONDS, so the table holds about a day of commands (a scan
        of that small table per command, rather than another scheduled job).
        """
        self.database.conn.execute("DELETE FROM command_triggers WHERE at < ?", (now - KEPT_SECONDS,))
        try:
            self.database.conn.execute(
                "INSERT INTO command_triggers (trigger_id, command, at) VALUES (?, ?, ?)",
                (trigger_id, command, now),
            )
        except sqlite3.IntegrityError:
            return False
        return True
