"""Slack's text encoding: what arrives entity-encoded, and how text we echo back is escaped.

Slack sends slash-command text with `&`, `<` and `>` encoded as `&amp;`, `&lt;` and `&gt;`, and treats
`<...>` in anything we post as a control sequence (`<!here>`, `<!channel>`, `<@U123>`, links)
(https://api.slack.com/reference/surfaces/formatting#escaping). So text is decoded once when it arrives,
kept as typed, and escaped once when it goes out; escaped text can never ping anyone.

Plain string functions, in commands/ because the messages commands/ writes (a refusal that quotes an
unknown option, say) must be safe to post too; bot/mrkdwn.py builds on them.
"""

from __future__ import annotations

import re

# A Slack member id as Slack sends it (U…, or W… on Enterprise Grid). Anything else in a user field came from
# a crafted payload, and put inside `<@…>` it could close the mention and open `<!channel>`.
_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{1,40}$")


def decode(text: str) -> str:
    """Slash-command text as the person typed it (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Untrusted text made safe for mrkdwn: it shows as typed and notifies nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def echo(text: str, limit: int = 40) -> str:
    """A piece of the person's input quoted back in a message: cut, escaped and shown as code.

    Backticks can't be escaped inside inline code, so they become quotes.
    """
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return "`" + escape(short).replace("`", "'") + "`"


def mention(user_id: str | None) -> str:
    """`<@U123>`, which Slack shows as the person's name; a value that is not a member id is shown escaped
    (and an id that was not recorded as "someone")."""
    if not user_id:
        return "someone"
    return f"<@{user_id}>" if _MEMBER_ID.fullmatch(user_id) else "@" + escape(user_id)
