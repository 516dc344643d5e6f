"""The JSON a Run, Escalate, Retry or Approve button carries, read without trusting it.

Slack echoes a button's value back as the clicker's client sends it, so anyone can craft one. The ids in it
are SQLite rowids: a value with `Infinity`, `1e30` or a 30-digit number is a stale or forged button (the
listener answers "out of date"), never an OverflowError with a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_MAX_ID = 2**63 - 1  # SQLite INTEGER


def _not_an_id(text: str) -> Any:
    raise ValueError(f"not an id: {text[:20]}")


def _id(text: str) -> int:
    number = int(text)
    if not 0 <= number <= _MAX_ID:
        raise ValueError("id out of range")
    return number


def button_value(action: Mapping[str, Any]) -> dict[str, Any]:
    """The value's JSON object, or {} when it is not one our buttons carry (the caller's KeyError says so)."""
    try:
        value = json.loads(
            action.get("value") or "{}", parse_int=_id, parse_float=_not_an_id, parse_constant=_not_an_id
        )
    except ValueError:  # json.JSONDecodeError is one
        return {}
    return value if isinstance(value, dict) else {}


def button_id(value: dict[str, Any], key: str) -> int:
    """`value[key]` as an id: a JSON integer (button_value bounded it), not a string or a bool."""
    found = value[key]
    if isinstance(found, bool) or not isinstance(found, int):
        raise ValueError(f"{key} is not an id")
    return found
