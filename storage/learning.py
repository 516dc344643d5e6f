"""Learning's memory: each routed request's base and starting lane, what became of it, channel control.

Outcomes are not copied anywhere: they are read from `runs` (an escalation is a run with `escalated_from`),
so a redelivered or double-clicked escalation, which the runs' UNIQUE constraint turns into one run, counts
once, and nothing can drift out of step with what actually ran. A request's outcome includes the runs of
its follow-ups (requests whose conversation_id names it), which are not routed and carry no row here.
Switching learning off or resetting it is audited in `settings_changes`, like every other channel setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

# Learning reads at most this many recent outcomes of the channel, and as many of the whole workspace, per
# decision: weeks of a busy channel, and a bound on the cost of a decision (bench/learning.py).
MAX_OBSERVED = 1_500
LEARNING_FIELD = "learning"  # settings_changes.field for on/off ("on" / "off")
RESET_FIELD = "learning_reset"  # settings_changes.field for a reset (new value: how many requests forgotten)


@dataclass(frozen=True)
class Observed:
    """What storage knows about one routed, run request (explicit lanes are never observed)."""

    request_id: int
    channel_id: str
    features: frozenset[str]
    base_lane: str
    created_at: float
    escalated_from: int | None  # the highest rung this request was escalated from
    reasons: tuple[str, ...]
    top_succeeded: int | None  # the highest rung that answered
    last_run_at: float
    helpful: bool | None  # the latest vote on the top run, when feedback exists
    task: str | None  # for labels in the settings; None once retention removed it


@dataclass(frozen=True)
class LearningState:
    channel_id: str
    enabled: bool
    reset_at: float | None


@dataclass(frozen=True)
class LearningWeek:
    """What learning did in one channel over a time range, for the digest."""

    moved_up: int  # requests started a rung higher than the base router's choice
    moved_up_escalated: int  # of those, how many were still escalated
    moved_down: int
    offered: int  # cards that offered a cheaper lane

    @property
    def acted(self) -> bool:
        return bool(self.moved_up or self.moved_down or self.offered)


class LearningStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._features: dict[int, frozenset[str]] = {}  # request id -> parsed features; see observed()

    def record(
        self,
        *,
        request_id: int,
        channel_id: str,
        base_lane: str,
        lane: str,
        moved: int,
        offer: str | None,
        explicit: bool,
        features: frozenset[str],
        explanation: str | None,
        now: float,
    ) -> None:
        """Remember how a request was routed; a redelivery of the same request changes nothing."""
        # Plain SQL, as for the request itself (storage/runs.py): once per /route, and the table API
        # rebuilds the statement in Python on every call.
        self.database.conn.execute(
            "INSERT OR IGNORE INTO learning_requests (request_id, channel_id, base_lane, lane, moved, offer,"
            " explicit, features, explanation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request_id,
                channel_id,
                base_lane,
                lane,
                moved,
                offer,
                int(explicit),
                " ".join(sorted(features)),
                explanation,
                now,
            ),
        )

    def observed(
        self, since: float, channel_id: str | None = None, limit: int = MAX_OBSERVED
    ) -> list[Observed]:
        """The newest `limit` requests since `since` that ran (of one channel, or all), oldest first.

        Explicit lanes are left out, and so is everything a channel's last reset forgot.
        """
        conn = self.database.conn
        # The first request of the window, from its index; requests that ran are found from `runs` above it.
        (first,) = conn.execute(
            "SELECT MIN(request_id) FROM learning_requests WHERE created_at >= ?", (since,)
        ).fetchone()
        if first is None:
            return []
        rows = conn.execute(
            """
            WITH ran AS (                   -- requests with a run, from the runs' request_id index: most
                SELECT DISTINCT request_id FROM runs WHERE request_id >= ?  -- routed requests never run
            )
            , recent AS (                   -- the newest first, so the limit applies before any run is read
                SELECT l.* FROM ran
                JOIN learning_requests l ON l.request_id = ran.request_id
                LEFT JOIN learning_channels c ON c.channel_id = l.channel_id
                -- +l.channel_id: SQLite must not scan the channel's index, which holds the unrun requests too
                WHERE l.explicit = 0 AND l.created_at >= ? AND l.created_at > COALESCE(c.reset_at, 0)
                    AND (? IS NULL OR +l.channel_id = ?)
                ORDER BY l.request_id DESC
                LIMIT ?
            )
            , outcomes AS (
                SELECT l.request_id, l.channel_id, l.features, l.base_lane, l.created_at,
                    MAX(src.rung) AS escalated_from,
                    group_concat(CASE WHEN a.escalated_from IS NOT NULL THEN a.escalation_reason END, ' ')
                        AS reasons,
                    MAX(CASE WHEN a.status = 'succeeded' THEN a.rung END) AS top_succeeded,
                    MAX(a.created_at) AS last_run_at,
                    r.task
                FROM recent l
                JOIN requests r ON r.id = l.request_id
                -- the request's own runs and its follow-ups' (turns of its conversation, on its lane):
                -- escalating a conversation runs its newest turn a rung up, and that says the lane fell short
                JOIN requests t ON t.id = l.request_id OR t.conversation_id = l.request_id
                JOIN runs a ON a.request_id = t.id
                LEFT JOIN runs src ON src.id = a.escalated_from
                GROUP BY l.request_id
            )
            SELECT o.request_id, o.channel_id, o.features, o.base_lane, o.created_at, o.escalated_from,
                o.reasons, o.top_succeeded, o.last_run_at,
                -- the latest helpful / not helpful vote (the feedback table) on an answer at the rung where
                -- the request's escalations stopped; votes on answers it escalated past say nothing more
                -- (CROSS JOIN keeps SQLite reading the conversation's turns first, then their runs by index)
                (SELECT f.helpful FROM requests t CROSS JOIN runs v JOIN feedback f ON f.run_id = v.id
                    WHERE (t.id = o.request_id OR t.conversation_id = o.request_id) AND v.request_id = t.id
                        AND v.status = 'succeeded' AND v.rung = o.top_succeeded
                    ORDER BY f.voted_at DESC LIMIT 1),
                o.task
            FROM outcomes o
            ORDER BY o.request_id DESC
            """,
            (first, since, channel_id, channel_id, limit),
        ).fetchall()
        # A request's features never change once recorded, so each is parsed once per process.
        cache = self._features
        out = []
        for (
            request_id,
            channel_id,
            features,
            base_lane,
            created_at,
            failed,
            reasons,
            top,
            last,
            vote,
            task,
        ) in rows:
            parsed = cache.get(request_id)
            if parsed is None:
                parsed = frozenset(features.split())
            cache[request_id] = parsed
            out.append(
                Observed(
                    request_id,
                    channel_id,
                    parsed,
                    base_lane,
                    created_at,
                    failed,
                    tuple(reasons.split()) if reasons else (),
                    top,
                    last,
                    None if vote is None else bool(vote),
                    task,
                )
            )
        if len(cache) > 8 * MAX_OBSERVED and rows:  # bounded: forget what fell out of the newest reads
            oldest = rows[-1][0]
            for request_id in [r for r in cache if r < oldest]:
                cache.pop(request_id, None)
        out.reverse()
        return out

    def state(self, channel_id: str) -> LearningState:
        row = self.database.conn.execute(
            "SELECT enabled, reset_at FROM learning_channels WHERE channel_id = ?", (channel_id,)
        ).fetchone()
        if row is None:
            return LearningState(channel_id, True, None)
        return LearningState(channel_id, bool(row[0]), row[1])

    def set_enabled(self, channel_id: str, enabled: bool, user_id: str, now: float) -> bool:
        """Turn learning on or off for a channel; False (and no audit entry) when it already was."""
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT enabled FROM learning_channels WHERE channel_id = ?", (channel_id,)
            ).fetchone()
            was = True if row is None else bool(row[0])
            if was == enabled:
                return False
            conn.execute(
                "INSERT INTO learning_channels (channel_id, enabled, reset_at, updated_at, updated_by)"
                " VALUES (?, ?, NULL, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET"
                " enabled = excluded.enabled, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by",
                (channel_id, int(enabled), now, user_id),
            )
            _audit(self.database, channel_id, user_id, now, LEARNING_FIELD, _on(was), _on(enabled))
        return True

    def reset(self, channel_id: str, user_id: str, now: float) -> int:
        """Forget everything the channel taught up to `now`; returns how many requests' evidence was dropped.

        Requests routed at `now` or earlier are forgotten, later ones count again.
        """
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT reset_at FROM learning_channels WHERE channel_id = ?", (channel_id,)
            ).fetchone()
            since = row[0] if row and row[0] is not None else -1.0
            (forgotten,) = conn.execute(
                "SELECT COUNT(*) FROM learning_requests WHERE channel_id = ? AND created_at > ?"
                " AND explicit = 0",
                (channel_id, since),
            ).fetchone()
            conn.execute(
                "INSERT INTO learning_channels (channel_id, enabled, reset_at, updated_at, updated_by)"
                " VALUES (?, 1, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE SET reset_at = excluded.reset_at,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (channel_id, now, now, user_id),
            )
            _audit(self.database, channel_id, user_id, now, RESET_FIELD, None, str(forgotten))
        return int(forgotten)

    def week(self, channel_id: str, start: float, end: float) -> LearningWeek:
        """What learning did to this channel's requests created in [start, end)."""
        escalated = (
            "EXISTS (SELECT 1 FROM runs e WHERE e.request_id = l.request_id AND e.escalated_from IS NOT NULL)"
        )
        row = self.database.conn.execute(
            f"SELECT COALESCE(SUM(moved > 0), 0), COALESCE(SUM(moved > 0 AND {escalated}), 0),"
            " COALESCE(SUM(moved < 0), 0), COALESCE(SUM(offer IS NOT NULL), 0)"
            " FROM learning_requests l WHERE l.channel_id = ? AND l.created_at >= ? AND l.created_at < ?"
            " AND l.explicit = 0",
            (channel_id, start, end),
        ).fetchone()
        return LearningWeek(*row)


def _on(enabled: bool) -> str:
    return "on" if enabled else "off"


def _audit(
    database: Database,
    channel_id: str,
    user_id: str,
    now: float,
    field: str,
    old: str | None,
    new: str | None,
) -> None:
    database.table("settings_changes").insert(
        {
            "channel_id": channel_id,
            "user_id": user_id,
            "at": now,
            "field": field,
            "old_value": old,
            "new_value": new,
        }
    )
