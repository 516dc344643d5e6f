"""Keys routebot makes for itself and keeps in its database, so every process on the file shares them."""

from __future__ import annotations

import secrets

from storage.db import Database

KEY_BYTES = 32


def stored_key(database: Database, name: str, now: float) -> bytes:
    """The key called `name`, made at random the first time it is asked for.

    INSERT OR IGNORE then SELECT in one write transaction: two processes starting at once agree on one key.
    """
    with database.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)",
            (name, secrets.token_bytes(KEY_BYTES), now),
        )
        row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
    return bytes(row[0])
