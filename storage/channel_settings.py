"""Per-channel settings (providers, budget, approval lanes, thread context), their audit and budget warnings.

A channel without a row has never been changed: callers apply the defaults (commands/channel_settings.py).
Saving reads the old values and writes the new ones and the audit rows in one transaction, so the audit's
"old" is exactly what was replaced even when two admins save at once. Each save that changes something
counts up the row's `version`; a save made from an older version is refused rather than undoing a newer one.
"""

from __future__ import annotations

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
    thread_context: bool = True  # off: @routebot sends only the thread's first message (sensitive channels)
    version: int = 0  # saves so far; 0: never saved


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
        self,
        new: ChannelSettings,
        default: ChannelSettings,
        user_id: str,
        now: float,
        *,
        made_from: int | None = None,
    ) -> list[SettingChange] | None:
        """Store `new` for its channel (`default` stands for a channel never saved); returns one audit entry
        per field that changed, and writes nothing when none did.

        `made_from` is the version the form was opened at: None (and nothing written) when the settings have
        been saved since. Without it the save applies to whatever is current (tools and tests).
        """
        with self.database.transaction():
            old = self.get(new.channel_id) or default
            if made_from is not None and made_from != old.version:
                return None
            pairs = [(field, stored_value(old, field), stored_value(new, field)) for field in FIELDS]
            changes = [
                SettingChange(new.channel_id, user_id, now, f, before, after)
                for f, before, after in pairs
                if before != after
            ]
            if not changes:
                return []
            saved = replace(new, updated_at=now, updated_by=user_id, version=old.version + 1)
            self.database.table("channel_settings").upsert(
                {
                    "channel_id": saved.channel_id,
                    "providers": ",".join(saved.providers),
                    "budget_nanousd": saved.budget_nanousd,
                    "approval_lanes": ",".join(saved.approval_lanes),
                    "updated_at": now,
                    "updated_by": user_id,
                    "thread_context": int(saved.thread_context),
                    "version": saved.version,
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

    def claim_budget_warning(self, channel_id: str, week: str, now: float, lease: float) -> bool:
        """Take this week's 80% warning for posting; False when it was sent, or another process is posting
        it (a claim older than `lease` seconds was abandoned by a crash and is taken over)."""
        with self.database.transaction() as conn:
            # rowcount tells an ignored insert apart (sqlite-utils' last_rowid does not clear on one).
            inserted = conn.execute(
                "INSERT OR IGNORE INTO budget_warnings (channel_id, week, warned_at, status)"
                " VALUES (?, ?, ?, 'posting')",
                (channel_id, week, now),
            ).rowcount
            if inserted:
                return True
            taken = conn.execute(
                "UPDATE budget_warnings SET warned_at = ? WHERE channel_id = ? AND week = ?"
                " AND status = 'posting' AND warned_at < ?",
                (now, channel_id, week, now - lease),
            ).rowcount
        return taken == 1

    def budget_warning_sent(self, channel_id: str, week: str, now: float) -> None:
        """Slack took the warning: the week is warned, for good."""
        # Plain UPDATE: sqlite-utils' update() raises when the row has gone; here that is nothing to do.
        self.database.conn.execute(
            "UPDATE budget_warnings SET status = 'sent', warned_at = ? WHERE channel_id = ? AND week = ?",
            (now, channel_id, week),
        )

    def release_budget_warning(self, channel_id: str, week: str) -> None:
        """The warning could not be posted: the next finished run in the channel tries again."""
        self.database.table("budget_warnings").delete_where(
            "channel_id = ? AND week = ? AND status = 'posting'", [channel_id, week]
        )


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
        row["version"],
    )
