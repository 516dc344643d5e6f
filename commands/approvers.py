"""Who may change channel settings and approve runs, as messages name them.

The check itself asks Slack (bot/permissions.py); this is how people are told who can.
"""

from __future__ import annotations

from collections.abc import Iterable


def who_can_change(admins: Iterable[str]) -> str:
    """Who may change settings and approve, for messages: Slack admins and owners, plus ROUTEBOT_ADMINS."""
    named = sorted(admins)
    if not named:
        return "workspace admins and owners"
    return "workspace admins, owners and " + ", ".join(f"<@{u}>" for u in named) + " from ROUTEBOT_ADMINS"


def sentence_case(text: str) -> str:
    """Upper-case the first letter only: str.capitalize() would lower-case the user ids in `<@U123>`."""
    return text[:1].upper() + text[1:]
