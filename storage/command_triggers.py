"""Slash commands already handled, by Slack's trigger_id: a redelivered command is recognised and skipped."""

from __future__ import annotations

import sqlite3

from storage.db import Database


class CommandTriggers:
    def __init__(self, database: Database) -> None:
        self.database = database

    def first_time(self, trigger_id: str, command: str, now: float) -> bool:
        """Record this delivery; False when the same trigger_id was handled before (a Slack retry)."""
        try:
            self.database.conn.execute(
                "INSERT INTO command_triggers (trigger_id, command, at) VALUES (?, ?, ?)",
                (trigger_id, command, now),
            )
        except sqlite3.IntegrityError:
            return False
        return True
