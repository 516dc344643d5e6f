"""Builders of signed Slack -> app requests, for driving a real Bolt ``App`` in tests.

Why: exercising Bolt's own signature check, body parsing and listener matching catches wiring bugs
that calling handler functions directly would hide. Bodies are built as Slack sends them: slash
commands form-encoded, interactivity as form-encoded ``payload=<json>``, events as JSON.

Headers follow slack_sdk.signature / slack_bolt's RequestVerification: ``X-Slack-Request-Timestamp``
and ``X-Slack-Signature`` (``v0=`` + HMAC-SHA256 of ``v0:<ts>:<body>``); Bolt rejects timestamps
more than 5 minutes off. Retries are signalled with extra headers, e.g.
``{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}``.

Typical use::

    body = slash_command("/route", "status", response_url=fake.response_url())
    response = app.dispatch(bolt_request(body, SECRET))
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from .slack import BOT_ID, BOT_USER_ID, TEAM_ID

__all__ = [
    "actions_from_blocks",
    "app_home_opened",
    "app_mention",
    "block_action",
    "bolt_request",
    "click",
    "event_callback",
    "message_event",
    "message_shortcut",
    "post",
    "sign",
    "slash_command",
    "view_submission",
]

APP_ID = "A1"
VERIFICATION_TOKEN = "verification-token"  # deprecated by Slack but still sent in every payload
_seq = itertools.count(1)


def _trigger_id() -> str:
    """Unique per request, shaped like Slack's ("<n>.<n>.<hex>"), so modals can't collide."""
    return f"{1_000_000 + next(_seq)}.1700000000.{uuid.uuid4().hex[:20]}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(user_id: str, team_id: str = TEAM_ID) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with ``body``: content type, timestamp and v0 signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body) or ""
    content_type = (
        "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    )
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_command(
    command: str,
    text: str,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    team_id: str = TEAM_ID,
    response_url: str,
    trigger_id: str | None = None,
    channel_name: str | None = None,
) -> str:
    """Form-encoded slash command body (``command`` includes its "/", e.g. "/route")."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": "test",
            "channel_id": channel_id,
            "channel_name": channel_name or channel_id.lower(),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or _trigger_id(),
        }
    )


def block_action(
    action_id: str,
    value: str | None,
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    message_ts: str,
    thread_ts: str | None = None,
    response_url: str,
    block_id: str | None = None,
    message: dict[str, Any] | None = None,
    text: str | None = None,
    state: dict[str, Any] | None = None,
    action_type: str = "button",
) -> str:
    """Form-encoded ``payload=<json>`` for a button click on a message, as Slack sends block_actions.

    ``action_type="feedback_buttons"`` for a click on one of an answer's feedback buttons (``value`` is
    that button's value).

    ``message`` is the clicked message (e.g. the ``message`` FakeSlack echoed for chat.postMessage);
    by default a bare bot message with ``ts=message_ts``. ``text`` is the button label.
    """
    msg: dict[str, Any] = dict(message) if message else {"type": "message", "text": "", "blocks": []}
    msg.setdefault("type", "message")
    msg.setdefault("user", BOT_USER_ID)
    msg.setdefault("bot_id", BOT_ID)
    msg["ts"] = message_ts
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        msg["thread_ts"] = thread_ts
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or f"b-{action_id}",
        "text": {"type": "plain_text", "text": text or action_id, "emoji": True},
        "type": action_type,
        "action_ts": _action_ts(),
    }
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": _trigger_id(),
        "team": {"id": TEAM_ID, "domain": "test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": msg,
        "state": {"values": state or {}},
        "response_url": response_url,
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def actions_from_blocks(blocks: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    """Every button the bot rendered (in "actions" blocks and section accessories), in order.

    Each item is the button element plus its block's ``block_id`` (None if the bot set none) and
    ``label`` (the button text), so tests click exactly what the bot posted. ``blocks`` may be the
    JSON string form-encoded clients send.
    """
    parsed: list[dict[str, Any]] = json.loads(blocks) if isinstance(blocks, str) else blocks
    found: list[dict[str, Any]] = []
    for block in parsed:
        if block.get("type") == "actions":
            elements = block.get("elements", [])
        elif block.get("type") == "section" and block.get("accessory"):
            elements = [block["accessory"]]
        else:
            continue
        for element in elements:
            if element.get("type") == "button":
                label = (element.get("text") or {}).get("text")
                found.append({**element, "block_id": block.get("block_id"), "label": label})
    return found


def click(
    button: dict[str, Any],
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    message_ts: str,
    response_url: str,
    message: dict[str, Any] | None = None,
    thread_ts: str | None = None,
    state: dict[str, Any] | None = None,
) -> str:
    """``block_action`` for one item of ``actions_from_blocks`` (keeps its action_id/value/block_id)."""
    return block_action(
        button["action_id"],
        button.get("value"),
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message_ts,
        thread_ts=thread_ts,
        response_url=response_url,
        block_id=button.get("block_id"),
        message=message,
        text=button.get("label"),
        state=state,
    )


def _state(values: dict[str, Any]) -> dict[str, Any]:
    """Accept the real ``{block_id: {action_id: {...}}}`` shape; a bare str becomes a plain_text_input."""
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        out[block_id] = {
            action_id: {"type": "plain_text_input", "value": v} if isinstance(v, str) or v is None else v
            for action_id, v in actions.items()
        }
    return out


def view_submission(
    callback_id: str,
    state_values: dict[str, Any],
    *,
    user_id: str = "U1",
    private_metadata: str = "",
    view_id: str = "V1",
) -> str:
    """Form-encoded ``payload=<json>`` for a modal submit.

    ``state_values`` is ``view.state.values``: ``{block_id: {action_id: {"type": ..., ...}}}``;
    as a shortcut ``{block_id: {action_id: "text"}}`` means a plain_text_input with that value.
    """
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": _trigger_id(),
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": _state(state_values)},
            "hash": "1700000000.hash",
            "title": {"type": "plain_text", "text": "routebot"},
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)})


def message_shortcut(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str,
) -> str:
    """Form-encoded ``payload=<json>`` for a message shortcut ("message_action") on ``message``."""
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": _user(user_id),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": {"type": "message", **message},
    }
    return urlencode({"payload": json.dumps(payload)})


def app_mention(
    text: str,
    *,
    ts: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    thread_ts: str | None = None,
    event_id: str | None = None,
) -> str:
    """JSON event_callback for ``@routebot ...`` (``text`` carries the ``<@UBOT>``, as Slack's does)."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user_id,
        "text": text,
        "ts": ts,
        "channel": channel_id,
        "event_ts": ts,
        "team": TEAM_ID,
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event_callback(event, event_id=event_id)


def message_event(
    text: str,
    *,
    ts: str,
    user_id: str | None = "U1",
    channel_id: str = "C1",
    thread_ts: str | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> str:
    """JSON event_callback for a ``message`` event (``extra``: subtype, bot_id, message, edited...)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "group" if channel_id.startswith("G") else "channel",
        "team": TEAM_ID,
        **extra,
    }
    if user_id is not None:
        event["user"] = user_id
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event_callback(event, event_id=event_id)


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> str:
    """JSON Events API envelope around ``event`` (unique event_id unless given; authorizations for the bot).

    A redelivery is the same body (same ``event_id``) sent again with ``X-Slack-Retry-Num``.
    """
    n = next(_seq)
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{n:08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-ctx-{n}",
        }
    )


def app_home_opened(user_id: str) -> str:
    """JSON event_callback for a user opening the bot's Home tab."""
    return event_callback(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{user_id}",
            "tab": "home",
            "event_ts": _action_ts(),
        }
    )


def bolt_request(body: str, secret: str, headers_extra: dict[str, str] | None = None) -> BoltRequest:
    """Signed ``BoltRequest`` for ``app.dispatch(...)`` (no HTTP server needed)."""
    return BoltRequest(body=body, headers={**sign(body, secret), **(headers_extra or {})})


def post(url: str, body: str, secret: str, extra_headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST a signed body to a running app's HTTP endpoint; returns (status, text), also for 4xx/5xx."""
    headers = {**sign(body, secret), **(extra_headers or {})}
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
