"""The "Route this" modal, and the private notes of conversations and feedback."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, context, section
from bot.mrkdwn import quote

ROUTE_MESSAGE = "route_message"  # the shortcut's callback_id (manifest.yml) and the modal's
INSTRUCTION_BLOCK, INSTRUCTION_ACTION = "instruction", "instruction_input"


def route_message_modal(message_text: str, metadata: str) -> dict[str, Any]:
    """The window "Route this" opens; `metadata` (where the message is) comes back with the submission."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": INSTRUCTION_BLOCK,
            "label": {"type": "plain_text", "text": "What should be done with this message?"},
            "element": {
                "type": "plain_text_input",
                "action_id": INSTRUCTION_ACTION,
                "placeholder": {"type": "plain_text", "text": "e.g. pull out the action items"},
                "max_length": 3000,
            },
        },
        section("*The message*\n" + quote(message_text or "(no text)", 600)),
        context(
            "routebot routes your instruction, then posts a card with Run buttons in the message's thread."
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ROUTE_MESSAGE,
        "title": {"type": "plain_text", "text": "Route this"},
        "submit": {"type": "plain_text", "text": "Route"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def feedback_thanks(helpful: bool, changed_from: bool | None) -> str:
    if changed_from is not None and changed_from != helpful:
        return "Changed your vote on this answer: thanks." if helpful else "Changed your vote to not helpful."
    if helpful:
        return "Thanks: recorded that this answer helped. It counts in the lane's helpful rate in the digest."
    return (
        "Thanks: recorded that this answer did not help. Escalate it to a stronger model, "
        "or reply in the thread to say what was missing."
    )
