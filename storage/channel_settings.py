"""Per-channel settings (providers, weekly budget, lanes needing approval), their audit and budget warnings.

A channel without a row has never been changed: callers apply the defaults (commands/channel_settings.py).
Saving reads the old values and writes the new ones and the audit rows in one transaction, so the audit's
"old" is exactly what was replaced even when two admins save at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from storage.db import Database

FIELDS = ("providers", "budget_nanousd", "approval_lanes")


@dataclass(frozen=True)
class ChannelSettings:
    channel_id: str
    providers: tuple[str, ...]
    budget_nanousd: int | None  # weekly budget; None: no budget
    approval_lanes: tuple[str, ...]
    updated_at: float | None = None  # None: the defaults, never saved
    updated_by: str | None = None


@dataclass(frozen=True)
class SettingChange:
    channel_id: str
    user_id: str
    at: float
    field: str  # one of FIELDS
    old: str | None  # stored form: "anthropic,openai", nano-dollars, "max"; None for no budget
    new: str | None


def stored_value(settings: ChannelSettings, field: str) -> str | None:
    """A field as the audit trail records it."""
    value = getattr(settings, field)
    if isinstance(value, tuple):
        return ",".join(value)
    return None if value is None else str(value)


class ChannelSettingsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, channel_id: str) -> ChannelSettings | None:
        conn = self.database.conn
        row = conn.execute(
            "SELECT channel_id, providers, budget_nanousd, approval_lanes, updated_at, updated_by"
            " FROM channel_settings WHERE channel_id = ?",
            (channel_id,),
        ).fetchone()
        return _settings(row) if row else None

    def save(
        self, new: ChannelSettings, default: ChannelSettings, user_id: str, now: float
    ) -> list[SettingChange]:
        """Store `new` for its channel (`default` stands for a channel never saved); returns one audit entry
        per field that changed, and writes nothing when none did."""
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT channel_id, providers, budget_nanousd, approval_lanes, updated_at, updated_by"
                " FROM channel_settings WHERE channel_id = ?",
                (new.channel_id,),
            ).fetchone()
            old = _settings(row) if row else default
            pairs = [(field, stored_value(old, field), stored_value(new, field)) for field in FIELDS]
            changes = [
                SettingChange(new.channel_id, user_id, now, f, before, after)
                for f, before, after in pairs
                if before != after
            ]
            if not changes:
                return []
            saved = replace(new, updated_at=now, updated_by=user_id)
            conn.execute(
                "INSERT INTO channel_settings (channel_id, providers, budget_nanousd, approval_lanes,"
                " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET"
                " providers = excluded.providers, budget_nanousd = excluded.budget_nanousd,"
                " approval_lanes = excluded.approval_lanes, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by",
                (
                    saved.channel_id,
                    ",".join(saved.providers),
                    saved.budget_nanousd,
                    ",".join(saved.approval_lanes),
                    now,
                    user_id,
                ),
            )
            conn.executemany(
                "INSERT INTO settings_changes (channel_id, user_id, at, field, old_value, new_value)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(c.channel_id, c.user_id, c.at, c.field, c.old, c.new) for c in changes],
            )
        return changes

    def changes(self, channel_id: str) -> list[SettingChange]:
        """The audit trail of one channel, oldest first."""
        rows = self.database.conn.execute(
            "SELECT channel_id, user_id, at, field, old_value, new_value FROM settings_changes"
            " WHERE channel_id = ? ORDER BY at, id",
            (channel_id,),
        ).fetchall()
        return [SettingChange(*row) for row in rows]

    def mark_budget_warned(self, channel_id: str, week: str, now: float) -> bool:
        """Record this week's 80% warning; False when the channel was already warned this week."""
        try:
            self.database.conn.execute(
                "INSERT INTO budget_warnings (channel_id, week, warned_at) VALUES (?, ?, ?)",
                (channel_id, week, now),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def unmark_budget_warned(self, channel_id: str, week: str) -> None:
        """The warning could not be posted: let the next finished run try again."""
        self.database.conn.execute(
            "DELETE FROM budget_warnings WHERE channel_id = ? AND week = ?", (channel_id, week)
        )


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _settings(row: tuple[Any, ...]) -> ChannelSettings:
    channel_id, providers, budget, lanes, updated_at, updated_by = row
    return ChannelSettings(channel_id, _split(providers), budget, _split(lanes), updated_at, updated_by)
