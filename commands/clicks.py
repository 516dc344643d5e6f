"""A click acts only where it was clicked: on the request's own card, or on a message in its conversation's
thread (the card's own thread, or the thread the card was posted in: `Request.answer_thread`).

A button value names a request, a run or an approval; the payload says where the click came from. They must
agree, or a click in one channel could run, charge and answer another channel's request (or post an approval
question into a private channel). bot/ reads the place out of Slack's payload; the rule is here.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.errors import PermissionDenied
from storage.records import Request

ELSEWHERE = (
    "That button belongs to a request in another channel or message, so nothing was run. "
    "Use the buttons on the request's own card or in its thread."
)


@dataclass(frozen=True)
class ClickPlace:
    """Where Slack says a button was clicked. None: the payload did not say, or said two different things."""

    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None  # the thread the clicked message is in, if any


def require_clicked_on(request: Request, place: ClickPlace) -> None:
    """Refuse (PermissionDenied) unless `place` is the request's card or a message in its thread.

    Its thread is the card's own, or, for a card posted inside a thread (a mention, Route this, a follow-up),
    that thread: the answers, feedback and approval questions are posted there, not under the card.
    """
    if place.channel_id is None or place.channel_id != (request.card_channel or request.channel_id):
        raise PermissionDenied(ELSEWHERE)
    card = request.card_ts
    if card is None:
        raise PermissionDenied(ELSEWHERE)
    on_card = place.message_ts == card
    in_thread = place.thread_ts is not None and place.thread_ts in (card, request.answer_thread)
    if not (on_card or in_thread):
        raise PermissionDenied(ELSEWHERE)
