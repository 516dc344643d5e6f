"""Where a block_actions payload says its button was clicked (the rule it must meet: commands/clicks.py).

Slack gives the place twice: `container` (channel_id, message_ts, thread_ts) and `channel` / `message`
(https://api.slack.com/reference/interaction-payloads/block-actions). A field the two copies disagree on
counts as not given, so a payload contradicting itself matches no card; so does a copy that is there but is
not text (a list, a number), which no Slack payload sends.
"""

from __future__ import annotations

from typing import Any

from commands.clicks import ClickPlace


def click_place(body: dict[str, Any]) -> ClickPlace:
    container = _mapping(body.get("container"))
    message = _mapping(body.get("message"))
    return ClickPlace(
        channel_id=_agreed(container.get("channel_id"), _mapping(body.get("channel")).get("id")),
        message_ts=_agreed(container.get("message_ts"), message.get("ts")),
        thread_ts=_agreed(container.get("thread_ts"), message.get("thread_ts")),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _agreed(*copies: Any) -> str | None:
    present = [c for c in copies if c is not None and c != ""]
    if not all(isinstance(c, str) for c in present):
        return None
    given = set(present)
    return given.pop() if len(given) == 1 else None
