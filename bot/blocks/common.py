"""Small Block Kit builders shared by the message modules.

Every mrkdwn text object is `verbatim`: Slack then leaves plain text alone instead of turning "@here",
"#channel" or a bare URL in a task or an answer into a mention or a link
(https://api.slack.com/reference/block-kit/composition-objects#text). Our own mentions are written as
`<@U123>` control sequences, which verbatim text still renders; user and model text is escaped
(bot/mrkdwn.py), so it has none.
"""

from __future__ import annotations

import json
from typing import Any

Block = dict[str, Any]


def mrkdwn(text: str, limit: int) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:limit], "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text, 3000)}


def fields(*pairs: tuple[str, str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(f"*{k}*\n{v}", 2000) for k, v in pairs]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t, 3000) for t in texts if t]}


def button(
    text: str,
    action_id: str,
    value: dict[str, Any],
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": json.dumps(value, separators=(",", ":")),
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def confirm_dialog(title: str, text: str, ok: str, deny: str = "Cancel") -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": title[:100]},
        "text": mrkdwn(text, 300),
        "confirm": {"type": "plain_text", "text": ok[:30]},
        "deny": {"type": "plain_text", "text": deny[:30]},
    }


def code(text: str) -> str:
    """Inline code for model names: backticks can't be escaped in mrkdwn, so they are removed."""
    return "`" + text.replace("`", "'") + "`"
