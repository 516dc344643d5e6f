"""A Slack thread as material for a model: who said what, oldest first, within a stated limit.

Slack message text is markup: `<@U123>` mentions, `<!channel>`, `<#C1|general>`, `<url|label>` links,
and `&`, `<`, `>` entity-encoded (https://docs.slack.dev/messaging/formatting-message-text). The model
gets it as a person reads it: `@Ana`, `@channel`, `#general`, `label (url)`. Nothing here goes back into
Slack, so a name in the context can never ping anyone.

The limit: the thread's first message (what the thread is about) and then the newest messages that fit in
MAX_MESSAGES and MAX_CHARS; what falls between is left out and counted, and the card says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_MESSAGES = 200
MAX_CHARS = 40_000
_CONTENT_SUBTYPES = {None, "bot_message", "thread_broadcast", "file_share", "me_message"}
_MARKUP = re.compile(r"<([^<>]*)>")
_USER_ID = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class ThreadMessage:
    """A Slack message reduced to what routebot reads; `bot_name` is set for messages from apps."""

    ts: str
    user_id: str | None
    text: str
    bot_name: str | None = None
    subtype: str | None = None


@dataclass(frozen=True)
class ThreadContext:
    lines: tuple[str, ...]
    messages: int  # messages included
    left_out: int  # messages between the first and the newest kept, dropped by the limit

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def text(self) -> str:
        return "\n\n".join(self.lines)


def user_ids(messages: Iterable[ThreadMessage]) -> set[str]:
    """Everyone a context names, as author or mention: the ids whose display names are needed."""
    found: set[str] = set()
    for message in messages:
        if message.user_id and message.bot_name is None:
            found.add(message.user_id)
        found.update(_USER_ID.findall(message.text))
    return found


def plain_text(text: str, names: Mapping[str, str]) -> str:
    """Slack markup as a person reads it; unknown users stay as `@someone`."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + names.get(target[1:], label or "someone")
        if target.startswith("!subteam^"):
            return label or "@a group"
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0]).lstrip("@")
        if target.startswith("#"):
            return "#" + (label or "a channel")
        return f"{label} ({target})" if label and label != target else target

    return _unescape(_MARKUP.sub(replace, text))


def thread_context(
    messages: Sequence[ThreadMessage],
    names: Mapping[str, str],
    *,
    skip_ts: Iterable[str] = (),
    max_messages: int = MAX_MESSAGES,
    max_chars: int = MAX_CHARS,
) -> ThreadContext:
    """The thread as lines `Name: text`, oldest first, routebot's own messages already removed by the caller.

    `skip_ts` are messages that are not material (the mention that asked, for one).
    """
    skipped = set(skip_ts)
    lines = [
        _line(m, names) for m in messages if m.ts not in skipped and m.subtype in _CONTENT_SUBTYPES and m.text
    ]
    if not lines:
        return ThreadContext((), 0, 0)
    first, rest = lines[0], lines[1:]
    budget = max_chars - len(first)
    kept: list[str] = []
    for line in reversed(rest):
        if len(kept) + 1 >= max_messages or len(line) + 2 > budget:
            break
        kept.append(line)
        budget -= len(line) + 2
    kept.reverse()
    left_out = len(rest) - len(kept)
    sent = 1 + len(kept)
    if left_out:
        kept.insert(0, f"[{left_out:,} earlier messages left out]")
    return ThreadContext((first[:max_chars], *kept), sent, left_out)


def _line(message: ThreadMessage, names: Mapping[str, str]) -> str:
    if message.bot_name is not None:
        author = f"{message.bot_name} (app)"
    else:
        author = names.get(message.user_id or "", "someone")
    return f"{author}: {plain_text(message.text, names)}"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
