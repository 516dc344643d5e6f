"""Getting a run's outcome into Slack, whatever Slack says: the thread, smaller parts, a file, or privately.

Rate limits are waited out by the WebClient's retry handler and avoided by per-channel pacing (Slack allows
about one message per second per channel: https://docs.slack.dev/apis/web-api/rate-limits). Then:

- `msg_too_long` / `invalid_blocks`: the whole answer goes again as plain-text parts (a part already posted
  is repeated rather than risk a gap), and if those fail too, as a text file in the thread (files_upload_v2,
  scope files:write).
- `not_in_channel` / `channel_not_found` / `is_archived`: the bot cannot post there at all, so the requester
  gets the messages in a DM (conversations.open + chat.postMessage, scope im:write). A DM rather than
  chat.postEphemeral: an ephemeral message needs the same channel membership that just failed, and it
  vanishes when Slack reloads, which is no place to keep an answer. The DM leaves out the Escalate and
  Retry buttons and says why: a click acts only on the request's card or in its thread (commands/clicks.py),
  so a button in the DM could only be refused, and the follow-up run could not post in the channel either.
- anything else: the delivery failed; the caller records it and a later start tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.run_messages import Message
from bot.button_seal import ButtonSeal
from bot.mrkdwn import escape, split_escaped

log = logging.getLogger(__name__)

TOO_BIG = frozenset({"msg_too_long", "invalid_blocks", "invalid_blocks_format", "too_many_blocks"})
NO_CHANNEL = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
PLAIN_PART = 3500  # characters per plain-text fallback message: well under Slack's 4,000 shown in full
NO_BUTTONS_IN_DM = (
    "The Escalate and Retry buttons are left out here: they act only in the request's thread, where routebot"
    " cannot post."
)


@dataclass(frozen=True)
class Delivery:
    state: str  # delivered, delivered_privately, failed (storage.records.DELIVERY_STATES)
    error: str | None = None  # the Slack error that forced a fallback, or made it fail


class ChannelPacer:
    """Spaces posts to one channel `interval` seconds apart; callers for other channels never wait."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:  # reserve the slot under the lock, sleep outside it
            now = self.clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


class ThreadDelivery:
    def __init__(self, client: WebClient, pacer: ChannelPacer, seal: ButtonSeal) -> None:
        self.client, self.pacer, self.seal = client, pacer, seal

    def post(self, channel: str, **kwargs: Any) -> dict[str, Any]:
        """chat.postMessage, paced per channel, buttons sealed; its ts and channel. Raises SlackApiError."""
        self.pacer.wait(channel)
        reply = self.client.chat_postMessage(channel=channel, **self.seal.message(kwargs))
        return {"ts": reply.get("ts"), "channel": reply.get("channel")}

    def deliver(
        self, *, channel: str, thread_ts: str, user_id: str, messages: Sequence[Message], plain_text: str
    ) -> Delivery:
        """Post `messages` in the thread, in order; `plain_text` is the same content for the fallbacks."""
        try:
            for message in messages:
                self.post(channel, thread_ts=thread_ts, **message)
            return Delivery("delivered")
        except SlackApiError as exc:
            error = _error(exc)
        log.warning("posting in %s failed (%s); trying the fallbacks", channel, error)
        if error in TOO_BIG:
            return self._smaller(channel, thread_ts, plain_text, error)
        if error in NO_CHANNEL:
            return self._privately(channel, user_id, messages, error)
        return Delivery("failed", error)

    def _smaller(self, channel: str, thread_ts: str, text: str, error: str) -> Delivery:
        note = f"_(The formatted message was refused by Slack: `{error}`. Here it is as plain text.)_"
        try:
            for part in [note, *split_escaped(text, PLAIN_PART)]:
                self.post(channel, thread_ts=thread_ts, text=part)
            return Delivery("delivered", error)
        except SlackApiError as exc:
            log.warning("plain-text parts failed too (%s); uploading a file", _error(exc))
        try:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=text,
                filename="answer.txt",
                title="The full answer",
                initial_comment=f"The message was too large for Slack (`{error}`): here it is as a file.",
            )
            return Delivery("delivered", error)
        except SlackApiError as exc:
            return Delivery("failed", _error(exc))

    def _privately(self, channel: str, user_id: str, messages: Sequence[Message], error: str) -> Delivery:
        try:
            opened = self.client.conversations_open(users=user_id)
            dm = opened["channel"]["id"]
            note = (
                f":warning: routebot cannot post in <#{escape(channel)}> (`{error}`), so here is your result"
                " privately. Invite routebot to the channel to get answers there."
            )
            self.post(dm, text=note)
            buttons_left_out = False
            for message in messages:
                kept = without_buttons(message)
                buttons_left_out = buttons_left_out or kept != message
                self.post(dm, **kept)
            if buttons_left_out:
                self.post(dm, text=NO_BUTTONS_IN_DM)
            return Delivery("delivered_privately", error)
        except SlackApiError as exc:
            return Delivery("failed", f"{error}; privately: {_error(exc)}")


def without_buttons(message: Message) -> Message:
    """`message` without its buttons: actions blocks dropped, button accessories taken off their sections."""
    blocks = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            continue
        if block.get("accessory", {}).get("type") == "button":
            block = {k: v for k, v in block.items() if k != "accessory"}
        blocks.append(block)
    return {**message, "blocks": blocks} if "blocks" in message else message


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or exc.response.status_code)
