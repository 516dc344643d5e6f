"""Putting untrusted text into Slack mrkdwn safely.

Slack treats `<...>` as control sequences (`<!channel>`, `<@U123>`, links) and `&` as the start of an entity,
so these three characters are escaped in every piece of user or model text we echo
(https://api.slack.com/reference/surfaces/formatting#escaping). Nothing else needs escaping. The primitives
live in commands/slack_text.py, so command messages can use them too. Text objects are also marked
`verbatim` (bot/blocks/common.py), so Slack never turns a plain "@here" in such text into a mention.
"""

from __future__ import annotations

from commands.slack_text import decode
from commands.slack_text import escape as escape  # re-exported: bot/blocks escape through here
from commands.slack_text import mention as mention  # and mention people through here

SECTION_LIMIT = 3000  # characters of text in one section block
MESSAGE_TEXT_BUDGET = 12000  # characters of escaped answer text per message (4 sections)


def unescape(text: str) -> str:
    """The inverse of escape (used to check that split answers lose nothing)."""
    return decode(text)


def shorten(text: str, limit: int) -> str:
    """Cut raw text to at most `limit` characters at a word boundary, marking the cut."""
    text = " ".join(text.split()) if "\n" not in text[:limit] else text
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def quote(text: str, limit: int = 300) -> str:
    """A task as a mrkdwn block quote: shortened, escaped, each line prefixed with `>`."""
    short = escape(shorten(text.strip(), limit))
    return "\n".join("&gt; " + line if line else "&gt;" for line in short.splitlines() or [""])


def split_escaped(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split raw text into escaped chunks of at most `limit` characters each, losing nothing.

    Splits prefer a newline, then a space, and never fall inside an escape entity, because each chunk is
    cut from the raw text and escaped afterwards. unescape("".join(chunks)) == text.
    """
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = _fit(text, start, limit)
        if end < len(text):
            window = text[start:end]
            for sep in ("\n\n", "\n", " "):
                at = window.rfind(sep)
                if at > len(window) // 2:
                    end = start + at + len(sep)
                    break
        chunks.append(escape(text[start:end]))
        start = end
    return chunks or [""]


def _fit(text: str, start: int, limit: int) -> int:
    """The furthest end such that escape(text[start:end]) fits in `limit` characters."""
    size = 0
    end = start
    while end < len(text):
        char = text[end]
        grow = 5 if char == "&" else 4 if char in "<>" else 1
        if size + grow > limit:
            break
        size += grow
        end += 1
    return end
