"""An answer streamed into its thread with Slack's chat streaming, as the model writes it.

Streaming is a presentation; delivery is the guarantee. The text is sent through slack_sdk's ChatStream
(chat.startStream, chat.appendStream, chat.stopStream) from a writer thread, so a slow Slack call never
holds up reading the model's stream, and at most one call goes out per `interval` (Slack rate-limits
appendStream per message; https://docs.slack.dev/reference/methods/chat.appendStream). The first text goes
out as soon as it arrives. What the stream did is returned by `finish`:

- "streamed": the whole answer is in the stream's message, finished with its footer blocks;
- "expired": Slack ended the stream (about 5 minutes; appends answer `message_not_in_streaming_state`) or
  refused an append: the message is there with part of the text, and the caller completes it;
- "refused": the stream never started (startStream refused): the caller posts the answer as messages.

Streamed text is markdown (`markdown_text`), so `&`, `<` and `>` are entity-encoded like mrkdwn and a bare
`@channel`, `@here` or `@everyone` gets a word joiner after the `@`: model text never notifies anyone.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.chat_stream import ChatStream

from bot.mrkdwn import escape

log = logging.getLogger(__name__)

Outcome = Literal["streamed", "expired", "refused"]
APPEND_INTERVAL = 0.25  # seconds between Slack calls for one answer
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_HELD = re.compile(r"@\w{0,8}$")  # a trailing "@cha" might become "@channel" with the next piece
WORD_JOINER = "\u2060"


def safe_markdown(text: str) -> str:
    """Model text for markdown_text: entities escaped, broadcast words that cannot notify."""
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), escape(text))


class AnswerStream:
    def __init__(
        self,
        client: WebClient,
        *,
        channel: str,
        thread_ts: str,
        recipient_user_id: str,
        recipient_team_id: str | None,
        interval: float = APPEND_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        on_first_text: Callable[[], None] | None = None,
    ) -> None:
        # buffer_size=1: ChatStream sends on every append; the pacing is ours (time, not size).
        self._streamer: ChatStream = client.chat_stream(
            buffer_size=1,
            channel=channel,
            thread_ts=thread_ts,
            recipient_user_id=recipient_user_id,
            recipient_team_id=recipient_team_id,
        )
        self.text = ""  # everything the model sent, raw
        self._sent = 0  # how much of `text` is in Slack
        self._state: Outcome | Literal["waiting", "streaming"] = "waiting"
        self._closing = False
        self._cond = threading.Condition()
        self._interval, self._clock = interval, clock
        self._on_first_text = on_first_text
        self.calls = 0  # Slack streaming calls made, for the benchmark
        self._writer = threading.Thread(target=self._write, name="routebot-stream", daemon=True)
        self._writer.start()

    @property
    def ts(self) -> str | None:
        """The stream message's ts once started (chat.update completes it after an expiry)."""
        return self._streamer.ts

    def feed(self, text: str) -> None:
        """Called from the model's stream for each piece of text; never blocks on Slack."""
        with self._cond:
            self.text += text
            self._cond.notify()

    def finish(self, blocks: Sequence[dict[str, Any]]) -> Outcome:
        """Send the rest and stop the stream with `blocks` under the text.

        A model faster than the first Slack call leaves the stream unstarted: stop() starts and finishes it.
        """
        self._close()
        with self._cond:
            state, rest = self._state, self.text[self._sent :]
        if state in ("expired", "refused"):
            return state
        markdown = safe_markdown(rest) if self.text else "_(the model returned no text)_"
        try:
            self._streamer.stop(markdown_text=markdown or None, blocks=list(blocks))
        except (SlackApiError, SlackRequestError) as exc:
            started = self._streamer.ts is not None
            log.info("finishing the answer stream failed (%s)", _error(exc))
            return "expired" if started else "refused"
        # Started and finished in one go (the model was faster than the first call): no "answering" step.
        self.calls += 2 if state == "waiting" else 1
        return "streamed"

    def abandon(self) -> Outcome:
        """Stop writing without finishing (the caller completes the message itself)."""
        self._close()
        with self._cond:
            state = self._state
        if state == "streaming":
            return "expired"
        return "refused" if state == "waiting" else state

    # --- the writer thread ----------------------------------------------------------------------------
    def _write(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or self._sendable() != "")
                if self._closing:
                    return
                piece = self._sendable()
                state = self._state
            if state in ("expired", "refused"):
                return
            if not self._send(piece, first=state == "waiting"):
                return
            # Paced from the end of each call, so Slack sees them at least `interval` apart however long
            # each took to arrive.
            done = self._clock()
            with self._cond:
                self._cond.wait_for(
                    lambda: self._closing, timeout=max(0.0, self._interval - (self._clock() - done))
                )
                if self._closing:
                    return

    def _sendable(self) -> str:
        """Unsent text, minus a trailing fragment that could still turn into a broadcast word."""
        pending = self.text[self._sent :]
        held = _HELD.search(pending)
        return pending[: held.start()] if held else pending

    def _send(self, piece: str, *, first: bool) -> bool:
        try:
            self._streamer.append(markdown_text=safe_markdown(piece))
            self.calls += 1
        except SlackApiError as exc:
            with self._cond:
                self._state = "refused" if first else "expired"
            log.info("answer stream %s: %s", "refused" if first else "ended", _error(exc))
            return False
        with self._cond:
            self._sent += len(piece)
            self._state = "streaming"
        if first and self._on_first_text is not None:
            self._on_first_text()
        return True

    def _close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._writer.join()


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("error")) if response is not None else str(exc)
