"""People's names as Slack knows them (users.info), so messages can name people without pinging them."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient


def display_names(client: WebClient, user_ids: Sequence[str], limit: int = 5) -> dict[str, str]:
    """Display name, else real name, else handle, for the first `limit` users; the id when Slack won't say."""
    names = {}
    for user_id in user_ids[:limit]:
        try:
            user = client.users_info(user=user_id)["user"]
            profile = user.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or user.get("name")
            names[user_id] = name or user_id
        except Exception:  # a name is a nicety: fall back to the id
            names[user_id] = user_id
    return names
