"""Conversations in threads: requests made from mentions, shortcuts and follow-ups, and the turns they form.

A follow-up is a request of its own (its own dedupe key: the Slack message it came from), so each turn is
claimed, run, costed and counted exactly once like any run; `conversation_id` ties it to the root request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlite_utils.db import NotFoundError

from storage.db import Database, inserted_id
from storage.records import Request, Run, from_row


@dataclass(frozen=True)
class NewRequest:
    channel_id: str
    user_id: str
    task: str
    lane: str
    provider: str
    confidence: float
    source: str  # mention, shortcut, follow_up
    thread_ts: str | None = None
    conversation_id: int | None = None
    material: str | None = None
    material_kind: str | None = None
    material_messages: int | None = None
    team_id: str | None = None
    dedupe_key: str | None = None
    card_channel: str | None = None  # set now for follow-ups, which answer under the message itself
    card_ts: str | None = None


class ConversationStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create_request(self, new: NewRequest, now: float) -> tuple[Request, bool]:
        """Insert the request once: a dedupe key seen before returns the existing request and False."""
        requests = self.database.table("requests")
        with self.database.transaction():
            if new.dedupe_key is not None:
                for row in requests.rows_where("dedupe_key = ?", [new.dedupe_key]):
                    return from_row(Request, row), False
            requests.insert({**asdict(new), "task_chars": len(new.task), "created_at": now})
            return from_row(Request, requests.get(inserted_id(requests))), True

    def set_card(self, request_id: int, channel: str, ts: str, thread_ts: str | None) -> None:
        self.database.table("requests").update(
            request_id, {"card_channel": channel, "card_ts": ts, "thread_ts": thread_ts}
        )

    def latest_in_thread(self, channel: str, thread_ts: str) -> Request | None:
        """The newest conversation routebot holds in this thread (its root request), if any."""
        rows = self.database.table("requests").rows_where(
            "card_channel = ? AND conversation_id IS NULL"
            " AND (thread_ts = ? OR (thread_ts IS NULL AND card_ts = ?))",
            [channel, thread_ts, thread_ts],
            order_by="id DESC",
            limit=1,
        )
        return next((from_row(Request, row) for row in rows), None)

    def turns(self, root_id: int, up_to: int | None = None) -> list[Request]:
        """The root request and its follow-ups, oldest first (up to and including request `up_to`)."""
        rows = self.database.table("requests").rows_where(
            "(id = ? OR conversation_id = ?) AND id <= ?",
            [root_id, root_id, up_to if up_to is not None else 2**62],
            order_by="id",
        )
        return [from_row(Request, row) for row in rows]

    def answer(self, request_id: int) -> Run | None:
        """The request's latest succeeded run: the answer the conversation continues from."""
        rows = self.database.table("runs").rows_where(
            "request_id = ? AND status = 'succeeded'", [request_id], order_by="id DESC", limit=1
        )
        return next((from_row(Run, row) for row in rows), None)

    def latest_run(self, root_id: int) -> Run | None:
        """The conversation's newest run of any status: the model a follow-up continues on."""
        rows = self.database.table("runs").rows_where(
            "request_id IN (SELECT id FROM requests WHERE id = ? OR conversation_id = ?)",
            [root_id, root_id],
            order_by="id DESC",
            limit=1,
        )
        return next((from_row(Run, row) for row in rows), None)

    def keep_partial(self, run_id: int, text: str) -> None:
        """A run that broke mid-stream keeps the text that arrived (it is in the thread already)."""
        self.database.table("runs").update(run_id, {"answer": text})

    def note_trimmed(self, run_id: int, exchanges: int) -> None:
        self.database.table("runs").update(run_id, {"trimmed_turns": exchanges})

    # --- feedback -----------------------------------------------------------------------------------
    def vote(self, run_id: int, user_id: str, helpful: bool, now: float) -> bool | None:
        """Record a person's vote on a run; returns their previous vote (None when this is their first)."""
        feedback = self.database.table("feedback")
        with self.database.transaction():
            try:
                previous: bool | None = bool(feedback.get((run_id, user_id))["helpful"])
            except NotFoundError:
                previous = None
            feedback.upsert(
                {"run_id": run_id, "user_id": user_id, "helpful": int(helpful), "voted_at": now},
                pk=("run_id", "user_id"),
            )
        return previous
