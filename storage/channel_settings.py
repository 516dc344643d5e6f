"""Per-channel settings (providers, budget, approval lanes, thread context), their audit and budget warnings.

A channel without a row has never been changed: callers apply the defaults (commands/channel_settings.py).
Saving reads the old values and writes the new ones and the audit rows in one transaction, so the audit's
"old" is exactly what was replaced even when two admins save at once.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from storage.db import Database, row_dict

FIELDS = ("providers", "budget_nanousd", "approval_lanes", "thread_context")


@dataclass(frozen=True)
class ChannelSettings:
    channel_id: str
    providers: tuple[str, ...]
    budget_nanousd: int | None  # weekly budget; None: no budget
    approval_lanes: tuple[str, ...]
    updated_at: float | None = None  # None: the defaults, never saved
    updated_by: str | None = None
    thread_context: bool = (
        True  # off: @routebot sends only the thread's first message, for sensitive channels
    )


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
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(value)
    return None if value is None else str(value)


class ChannelSettingsStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, channel_id: str) -> ChannelSettings | None:
        # Plain SQL: every /route reads its channel's settings, and sqlite-utils' get() rebuilds its query.
        found = self.database.conn.execute(
            "SELECT * FROM channel_settings WHERE channel_id = ?", [channel_id]
        )
        row = found.fetchone()
        return None if row is None else _settings(row_dict(found, row))

    def save(
        self, new: ChannelSettings, default: ChannelSettings, user_id: str, now: float
    ) -> list[SettingChange]:
        """Store `new` for its channel (`default` stands for a channel never saved); returns one audit entry
        per field that changed, and writes nothing when none did."""
        with self.database.transaction():
            old = self.get(new.channel_id) or default
            pairs = [(field, stored_value(old, field), stored_value(new, field)) for field in FIELDS]
            changes = [
                SettingChange(new.channel_id, user_id, now, f, before, after)
                for f, before, after in pairs
                if before != after
            ]
            if not changes:
                return []
            saved = replace(new, updated_at=now, updated_by=user_id)
            self.database.table("channel_settings").upsert(
                {
                    "channel_id": saved.channel_id,
                    "providers": ",".join(saved.providers),
                    "budget_nanousd": saved.budget_nanousd,
                    "approval_lanes": ",".join(saved.approval_lanes),
                    "updated_at": now,
                    "updated_by": user_id,
                    "thread_context": int(saved.thread_context),
                },
                pk="channel_id",
            )
            self.database.table("settings_changes").insert_all(
                {
                    "channel_id": c.channel_id,
                    "user_id": c.user_id,
                    "at": c.at,
                    "field": c.field,
                    "old_value": c.old,
                    "new_value": c.new,
                }
                for c in changes
            )
        return changes

    def changes(self, channel_id: str) -> list[SettingChange]:
        """The audit trail of one channel, oldest first."""
        rows = self.database.table("settings_changes").rows_where(
            "channel_id = ?", [channel_id], order_by="at, id"
        )
        return [
            SettingChange(r["channel_id"], r["user_id"], r["at"], r["field"], r["old_value"], r["new_value"])
            for r in rows
        ]

    def mark_budget_warned(self, channel_id: str, week: str, now: float) -> bool:
        """Record this week's 80% warning; False when the channel was already warned this week."""
        try:
            self.database.table("budget_warnings").insert(
                {"channel_id": channel_id, "week": week, "warned_at": now}
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def unmark_budget_warned(self, channel_id: str, week: str) -> None:
        """The warning could not be posted: let the next finished run try again."""
        self.database.table("budget_warnings").delete_where("channel_id = ? AND week = ?", [channel_id, week])


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _settings(row: dict[str, Any]) -> ChannelSettings:
    return ChannelSettings(
        row["channel_id"],
        _split(row["providers"]),
        row["budget_nanousd"],
        _split(row["approval_lanes"]),
        row["updated_at"],
        row["updated_by"],
        bool(row["thread_context"]),
    )
