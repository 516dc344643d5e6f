"""Looking into what the bot sent Slack: a message's text as one string, and every mrkdwn text object (for
the tests that no text pings anyone)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def message_text(args: dict[str, Any]) -> str:
    """A chat.postMessage / chat.update call's blocks and fallback text, to search for what it says."""
    return json.dumps(args.get("blocks") or [], ensure_ascii=False) + str(args.get("text", ""))


def mrkdwn_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every mrkdwn text object anywhere in a message or view."""
    children: Iterable[Any]
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            yield value
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return
    for item in children:
        yield from mrkdwn_objects(item)
