"""Button values bound to what they were issued for: each carries an HMAC over its action and its value.

Request and run ids are sequential, so a value such as `{"request": 41, "provider": "anthropic"}` would
otherwise invite guessing. Every button the bot posts is sealed just before posting, and a click whose value
does not carry a valid seal is refused before anything is looked up. The seal says the bot issued this value
for this action; where the click happened is checked separately, on the server (commands/clicks.py).

The key is a random 32-byte key kept in the database (storage/secrets.py), not derived from
SLACK_SIGNING_SECRET: Socket Mode needs no signing secret, and every process sharing the database must
accept the buttons the others posted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from bot.blocks.common import Block
from bot.button_values import button_value

SEAL = "sig"  # the value's field holding the seal
KEY_NAME = "button_key"  # its name in the secrets table


class ButtonSeal:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal(self, action_id: str, value: Mapping[str, Any]) -> str:
        """The button value to post: the value's fields plus their seal."""
        fields = {k: v for k, v in value.items() if k != SEAL}
        return json.dumps({**fields, SEAL: self._digest(action_id, fields)}, separators=(",", ":"))

    def open(self, action: Mapping[str, Any]) -> dict[str, Any] | None:
        """The clicked button's value without its seal; None unless the bot issued it for this action."""
        try:
            value = button_value(action)  # bounded ids; {} for anything that is not a JSON object
        except (TypeError, RecursionError):  # not text, or nested beyond reason
            return None
        if not isinstance(value.get(SEAL), str) or not value[SEAL].isascii():
            return None  # compare_digest refuses non-ASCII text (TypeError); no seal of ours has any
        seal = value.pop(SEAL)
        expected = self._digest(str(action.get("action_id") or ""), value)
        return value if hmac.compare_digest(seal, expected) else None

    def blocks(self, blocks: list[Block]) -> list[Block]:
        """Copies of `blocks` with every button's value sealed for its action."""
        return [self._block(block) for block in blocks]

    def message(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """A chat.postMessage message (text, blocks) with its buttons sealed; a text-only one as it is."""
        if not message.get("blocks"):
            return dict(message)
        return {**message, "blocks": self.blocks(list(message["blocks"]))}

    def _block(self, block: Block) -> Block:
        if block.get("type") in ("actions", "context_actions"):
            return {**block, "elements": [self._element(e) for e in block.get("elements", [])]}
        if block.get("type") == "section" and "accessory" in block:
            return {**block, "accessory": self._element(block["accessory"])}
        return block

    def _element(self, element: dict[str, Any]) -> dict[str, Any]:
        if element.get("type") == "feedback_buttons":
            # Two choices under one action_id: Slack sends the clicked choice's value as the action's value.
            action_id = element["action_id"]
            return {
                **element,
                **{
                    side: {**element[side], "value": self.seal(action_id, json.loads(element[side]["value"]))}
                    for side in ("positive_button", "negative_button")
                    if side in element
                },
            }
        if element.get("type") != "button" or "value" not in element:
            return element
        return {**element, "value": self.seal(element["action_id"], json.loads(element["value"]))}

    def _digest(self, action_id: str, fields: Mapping[str, Any]) -> str:
        # Canonical JSON (sorted keys, no spaces), so the seal does not depend on how the value was written.
        text = action_id + "\n" + json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()[:32]  # 128 bits
